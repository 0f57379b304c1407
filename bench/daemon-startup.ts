// imsd's start-up time (process start → bus name owned) and its RSS when idle and registered,
// each against a bare `node -e 'setInterval(()=>{},1e9)'` measured in the same run and the same
// way (same namespace, same `ip netns exec`): imsd's own cost is the difference.
// imsd runs as installed: `node dist/daemon/main.js` after `npm run build` (done here first),
// standalone on a private system bus in a lab of its own (host, no IPsec), registered to the lab.
// `npx tsx bench/daemon-startup.ts [rounds]` (root; default 5 rounds).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, up } from '../lab/core/lab.js';
import { imsdConfig, imsdPaths, startLabBus } from '../lab/core/ue.js';
import { defaultOptions, names } from '../lab/options.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 5);
const IDLE_MS = 3000;

interface Sample {
  readyMs: number;
  rssKiB: number;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** spawn argv in the namespace; resolve once a stdout line matches `ready`, then once `idle` matches, measure */
async function measure(ns: string, argv: string[], ready: RegExp, idle: RegExp): Promise<Sample> {
  const t0 = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let readyMs: number | undefined;
  const idleSeen = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      if (readyMs === undefined && ready.test(buf)) readyMs = performance.now() - t0;
      if (readyMs !== undefined && idle.test(buf)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready:\n${buf}`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await idleSeen;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rss = rssKiB(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  clearTimeout(timeout);
  return { readyMs: readyMs!, rssKiB: rss };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  console.log('building dist/ (npm run build) ...');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
  const o = defaultOptions({ runDir: mkdtempSync(join(tmpdir(), 'imsdt-bench-')), prefix: `imsdb${randomBytes(1).toString('hex')}`, ipsec: 'off' });
  const ns = names(o).ueNs;
  try {
    await up(o, { log: () => undefined });
    await startLabBus(o, ns);
    const p = imsdPaths(o);
    const conf = join(p.dir, 'bench.conf');
    const info = { ueNamespace: ns, ueAddress: o.ueV4, ueAddress6: o.ueV6, pcscf: { address: o.coreV4, address6: o.coreV6, port: o.pcscfPort }, domain: o.domain, ipsec: false };
    writeFileSync(conf, imsdConfig(o, info, p.stateDir, p.busAddress).replace('Level=debug', 'Level=notice'));
    const bare: Sample[] = [];
    const imsd: Sample[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await measure(ns, [process.execPath, '-e', 'process.stdout.write("ready\\n");setInterval(()=>{},1e9)'], /ready/, /ready/));
      imsd.push(await measure(ns, [process.execPath, 'dist/daemon/main.js', '--config', conf], /serving on D-Bus/, /state=registered/));
      console.log(`round ${i + 1}: bare node ${bare[i]!.readyMs.toFixed(0)} ms ${bare[i]!.rssKiB} KiB; imsd ${imsd[i]!.readyMs.toFixed(0)} ms ${imsd[i]!.rssKiB} KiB`);
    }
    const b = { t: median(bare.map((s) => s.readyMs)), m: median(bare.map((s) => s.rssKiB)) };
    const d = { t: median(imsd.map((s) => s.readyMs)), m: median(imsd.map((s) => s.rssKiB)) };
    console.log(`\nmedians of ${ROUNDS} rounds (node ${process.version}):`);
    console.log(`  start-up to ready:  bare node ${b.t.toFixed(0)} ms, imsd (bus name owned) ${d.t.toFixed(0)} ms: imsd's own ${(d.t - b.t).toFixed(0)} ms`);
    console.log(`  RSS idle:           bare node ${(b.m / 1024).toFixed(1)} MiB, imsd (registered) ${(d.m / 1024).toFixed(1)} MiB: imsd's own ${((d.m - b.m) / 1024).toFixed(1)} MiB`);
  } finally {
    await down(o, { quiet: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
