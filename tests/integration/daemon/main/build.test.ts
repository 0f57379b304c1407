// `npm run build` (tsc -p tsconfig.build.json) gives a runnable imsd: every package.json bin
// exists in the output with its #! line, `node …/daemon/main.js` runs, and nothing from tests/
// or bench/ is in the build.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

describe('npm run build', function () {
  this.timeout(120_000);
  // inside the repository, so the output resolves node_modules as dist/ does
  const out = join(REPO, `.build-test-${randomBytes(4).toString('hex')}`);
  before(() => {
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: REPO, stdio: 'pipe' });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('holds every bin of package.json, each starting with #!/usr/bin/env node', () => {
    const bins = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
    assert.ok(bins.imsd, 'no imsd bin');
    for (const [name, path] of Object.entries(bins)) {
      const built = join(out, relative('dist', path));
      assert.ok(existsSync(built), `${name}: ${path} is not built`);
      assert.ok(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n'), `${name} has no #! line`);
    }
  });

  it('copies nothing from tests/ or bench/', () => {
    const all = files(out).map((f) => relative(out, f));
    assert.ok(all.length > 50);
    assert.deepEqual(all.filter((f) => /^(tests|bench)\//.test(f) || /\.test\.js$/.test(f)), []);
  });

  it('node daemon/main.js runs: --help, and a configuration error with file:line', () => {
    const main = join(out, 'daemon/main.js');
    let r = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /usage: imsd \[--config FILE\] \[--foreground\]/);
    const conf = join(out, 'bad.conf');
    writeFileSync(conf, '[Log]\nLevel=loud\n');
    r = spawnSync(process.execPath, [main, '--config', conf], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^<3>imsd: ${conf.replace(/[.]/g, '\\.')}:2: Level must be one of`));
  });
});
