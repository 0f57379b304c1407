// The README's lab command as a user runs it: `imsd-lab up` (the CLI, in its own process) starts
// imsd, prints commands that work as printed, `status --json` shows imsd's bus address, name, modem
// path and pid, and `down` stops imsd with the rest.
import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../../../../lab/core/exec.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { REPO, waitUntil } from './imsd-process.js';

describe('imsd-lab up starts imsd (the CLI as a user runs it)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'imsdt-labcli-'));
  const runDir = join(dir, 'lab');
  const prefix = `imsdt${randomBytes(1).toString('hex')}c`;

  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', join(REPO, 'lab/cli.ts'), '--run-dir', runDir, '--prefix', prefix, ...args], { cwd: REPO, timeout: 90_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  before(function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('dbus-daemon'), command('dbus-send'), file('/usr/share/ofono/scripts/list-modems'),
      file('/usr/lib/python3/dist-packages/dbus')]);
  });

  after(async () => {
    await cli(['down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('up prints working commands; status --json has imsd; down stops it', async () => {
    const u = await cli(['up', '--no-ipsec']);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /imsd is running in \S+ \(pid \d+\)/);
    const s = await cli(['status', '--json']);
    assert.equal(s.code, 0, s.stderr);
    const st = JSON.parse(s.stdout) as { imsd: { busAddress: string; busName: string; modemPath: string; pid: number } };
    assert.deepEqual(Object.keys(st.imsd).sort(), ['busAddress', 'busName', 'modemPath', 'pid']);
    assert.equal(st.imsd.busAddress, `unix:path=${join(runDir, 'imsd', 'system_bus_socket')}`);
    assert.equal(st.imsd.busName, 'org.ofono');
    assert.equal(st.imsd.modemPath, '/imsd_0');
    assert.ok(isAlive(st.imsd.pid));
    // every printed command but `tail -f` runs as printed
    const printed = u.stdout.split('\n').filter((l) => l.startsWith('  ') && !l.includes('tail -f')).map((l) => l.trim());
    assert.ok(printed.length >= 5, u.stdout);
    const listModems = printed.find((c) => c.endsWith('list-modems'))!;
    await waitUntil('list-modems to show Registered = 1', async () => /Registered = 1/.test(spawnSync('sh', ['-c', listModems], { encoding: 'utf8' }).stdout), 20_000, 200);
    for (const c of printed) {
      const r = spawnSync('sh', ['-c', c], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `${c}\n${r.stdout}${r.stderr}`);
    }
    const d = await cli(['down']);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(!isAlive(st.imsd.pid));
    assert.ok(!existsSync(runDir));
  });
});
