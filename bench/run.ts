// `npm run bench [name...]`: runs every benchmark in this folder (or the named ones) one after the
// other, each in its own process so one bench's warm-up or sockets do not colour the next.
// Each prints its own figures as ratios against the peer it names.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// workers that a bench starts itself (with its arguments), not benches of their own
const WORKERS = new Set(['run', 'registration-ue']);
const all = readdirSync(here).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).filter((f) => !WORKERS.has(f)).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; there are: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench/${name}.ts exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
