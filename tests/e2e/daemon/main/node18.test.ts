// imsd as built by `npm run build` (dist/), run by Debian 12's own Node 18 (the oldest runtime the
// daemon supports; scripts/install-deps.sh unpacks Debian's nodejs 18 beside the system's Node 20),
// in the lab's UE namespace against the lab's Kamailio IMS core on this kernel (no IPsec): it
// registers, oFono's ims-unregister/ims-register scripts drive it, and SIGTERM ends it cleanly.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../../../../lab/core/lab.js';
import { isAlive } from '../../../../lab/core/exec.js';
import { imsdPaths, LAB_IMSD } from '../../../../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { imsProperties, nameHasOwner, REPO, socketsInNs, spawnImsd, waitUntil, type ImsdChild } from './imsd-process.js';

const NODE18_DIR = process.env.IMSD_NODE18_DIR ?? '/opt/imsd-test/node18';
const NODE18 = join(NODE18_DIR, 'usr/bin/node');
const SCRIPTS = '/usr/share/ofono/scripts';

/** the directory holding Debian's libnode.so.108 (multiarch path) */
function libDir(): string {
  const lib = join(NODE18_DIR, 'usr/lib');
  const arch = readdirSync(lib).find((d) => existsSync(join(lib, d, 'libnode.so.108')));
  assert.ok(arch, `no libnode.so.108 under ${lib}`);
  return join(lib, arch);
}

function script(name: string, bus: string): { status: number | null; out: string } {
  const r = spawnSync(join(SCRIPTS, name), [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("imsd built (dist/) on Debian 12's Node 18, in the lab (host, no IPsec)", function () {
  this.timeout(180_000);
  let o: LabOptions | undefined;
  let bus: string;
  let ns: string;
  let imsd: ImsdChild | undefined;
  const registered = async (): Promise<boolean> => (await imsProperties(bus, LAB_IMSD.busName, LAB_IMSD.modemPath)).Registered === 'true';

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('dbus-daemon'), command('dbus-send'), file(NODE18), file(join(SCRIPTS, 'ims-register')), command('ss')]);
    const v = spawnSync(NODE18, ['--version'], { env: { ...process.env, LD_LIBRARY_PATH: libDir() }, encoding: 'utf8' });
    assert.match(v.stdout, /^v18\./, `${NODE18} is not Node 18: ${v.stdout}${v.stderr}`);
    const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}${build.stderr}`);
    const runDir = mkdtempSync(join(tmpdir(), 'imsdt-node18-'));
    o = defaultOptions({ runDir, prefix: `imsdt${randomBytes(1).toString('hex')}`, ipsec: 'off' });
    ns = names(o).ueNs;
    bus = imsdPaths(o).busAddress;
    // the lab writes imsd's config and starts the bus; its own imsd (Node 20, tsx) is stopped again
    await up(o, { imsd: true, log: () => undefined });
    const labImsd = JSON.parse(readFileSync(names(o).stateFile, 'utf8')).pids.imsd as number;
    process.kill(labImsd, 'SIGTERM');
    await waitUntil('the lab imsd to exit', async () => !isAlive(labImsd) && !(await nameHasOwner(bus, LAB_IMSD.busName)), 10_000);
  });

  after(async () => {
    if (imsd && imsd.child.exitCode === null) imsd.child.kill('SIGKILL');
    if (o) await down(o, { quiet: true });
  });

  it('registers, follows ims-unregister and ims-register, and stops on SIGTERM leaving nothing behind', async () => {
    imsd = spawnImsd(ns, imsdPaths(o!).config, { LD_LIBRARY_PATH: libDir() }, [NODE18, 'dist/daemon/main.js']);
    await imsd.waitForLine(/serving on D-Bus/, 20_000);
    // `ip netns exec` execs the program: this pid is Debian's Node 18 itself
    assert.equal(readlinkSync(`/proc/${imsd.pid}/exe`), NODE18);
    assert.ok(imsd.lines.every((l) => !/ExperimentalWarning|is not supported/i.test(l)), imsd.lines.join('\n'));
    await waitUntil('Registered = true', registered, 20_000);
    let r = script('ims-unregister', bus);
    assert.equal(r.status, 0, r.out);
    await waitUntil('Registered = false', async () => !(await registered()), 10_000);
    r = script('ims-register', bus);
    assert.equal(r.status, 0, r.out);
    await waitUntil('Registered = true again', registered, 10_000);
    const t0 = Date.now();
    imsd.child.kill('SIGTERM');
    const end = await imsd.exited;
    assert.equal(end.code, 0, imsd.lines.slice(-20).join('\n'));
    assert.ok(end.at - t0 < 5000, `stopped in ${end.at - t0} ms`);
    // once for ims-unregister, once at stop
    assert.equal(imsd.lines.filter((l) => /registration state state=deregistered/.test(l)).length, 2, imsd.lines.slice(-20).join('\n'));
    assert.equal(await nameHasOwner(bus, LAB_IMSD.busName), false);
    assert.ok(!(await socketsInNs(ns)).some((l) => l.includes(`pid=${imsd!.pid},`)));
  });
});
