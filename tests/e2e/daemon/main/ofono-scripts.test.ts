// imsd standalone (it owns org.ofono) on a private system bus, in the lab's UE namespace, against
// the lab's Kamailio P-CSCF/S-CSCF and Cx HSS on this kernel (no IPsec): started by the lab as
// `npm run lab -- up` does, driven by oFono's own scripts (Debian ofono-scripts) and by the
// README's dbus-send examples; then stopped by SIGTERM during and after registration.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../../../../lab/core/lab.js';
import { isAlive } from '../../../../lab/core/exec.js';
import { imsdPaths, LAB_IMSD } from '../../../../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { imsProperties, nameHasOwner, REPO, socketsInNs, spawnImsd, waitUntil, xfrmInNs } from './imsd-process.js';

const SCRIPTS = '/usr/share/ofono/scripts';

function script(name: string, bus: string): { status: number | null; out: string } {
  // run as the user would: the script's own #!/usr/bin/python3 (Debian's, with python3-dbus)
  const r = spawnSync(join(SCRIPTS, name), [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** the commands of README.md's "Try imsd on D-Bus" block (between the markers) */
function readmeCommands(): string[] {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8');
  const m = /<!-- dbus-examples -->([\s\S]*?)<!-- \/dbus-examples -->/.exec(text);
  assert.ok(m, 'README.md has no dbus-examples block');
  return m[1]!.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('dbus-send '));
}

describe('imsd standalone in the lab, driven by oFono scripts (host, no IPsec)', function () {
  this.timeout(120_000);
  let o: LabOptions;
  let bus: string;
  let ns: string;

  const registered = async (): Promise<boolean> => (await imsProperties(bus, LAB_IMSD.busName, LAB_IMSD.modemPath)).Registered === 'true';

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('dbus-daemon'), command('dbus-send'), file('/usr/bin/python3'), file('/usr/lib/python3/dist-packages/dbus'), file(join(SCRIPTS, 'list-modems')), command('ss')]);
    const runDir = mkdtempSync(join(tmpdir(), 'imsdt-ofono-'));
    o = defaultOptions({ runDir, prefix: `imsdt${randomBytes(1).toString('hex')}`, ipsec: 'off' });
    ns = names(o).ueNs;
    bus = imsdPaths(o).busAddress;
    await up(o, { imsd: true, log: () => undefined });
    await waitUntil('Registered = true', registered, 20_000);
  });

  after(async () => {
    if (o) await down(o, { quiet: true });
  });

  it('list-modems shows the modem with IpMultimediaSystem registered', () => {
    const r = script('list-modems', bus);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`\\[ ${LAB_IMSD.modemPath} \\]`));
    assert.match(r.out, /Interfaces = .*org\.ofono\.IpMultimediaSystem/);
    assert.match(r.out, /\[ org\.ofono\.IpMultimediaSystem \][\s\S]*Registered = 1/);
  });

  it('ims-unregister de-registers at the S-CSCF, ims-register registers again', async () => {
    const log = imsdPaths(o).log;
    const deregsBefore = (readFileSync(log, 'utf8').match(/registration state state=deregistered/g) ?? []).length;
    let r = script('ims-unregister', bus);
    assert.equal(r.status, 0, r.out);
    await waitUntil('Registered = false', async () => !(await registered()), 10_000);
    // deregistered is the state after the network's 200 to REGISTER with Expires 0
    assert.equal((readFileSync(log, 'utf8').match(/registration state state=deregistered/g) ?? []).length, deregsBefore + 1);
    r = script('ims-register', bus);
    assert.equal(r.status, 0, r.out);
    await waitUntil('Registered = true', registered, 10_000);
  });

  it('imsctl status shows the registration', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'daemon/imsctl.ts', '--bus', bus, '--name', LAB_IMSD.busName, '--modem', LAB_IMSD.modemPath, 'status'], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Registered = yes/);
  });

  it("the README's dbus-send examples work", () => {
    const cmds = readmeCommands();
    assert.ok(cmds.length >= 2, 'too few examples');
    for (const c of cmds) {
      const r = spawnSync('sh', ['-c', c], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, `${c}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /method return/, c);
    }
  });

  it('a second imsd for the same bus name exits 1 saying so, and the first keeps it', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'imsdt-second-')), 'second.conf');
    try {
      writeFileSync(f, readFileSync(imsdPaths(o).config, 'utf8').replace(/^StateDir=.*$/m, `StateDir=${join(f, '..', 'state')}`));
      const second = spawnImsd(ns, f);
      const end = await second.exited;
      assert.equal(end.code, 1, second.lines.join('\n'));
      assert.ok(second.lines.some((l) => /^<3>imsd: DbusStartError: cannot serve org\.ofono on the bus unix:path=/.test(l)), second.lines.join('\n'));
      assert.ok(await nameHasOwner(bus, LAB_IMSD.busName));
      assert.ok(await registered());
    } finally {
      rmSync(join(f, '..'), { recursive: true, force: true });
    }
  });

  it("SIGTERM to the lab's imsd while registered: gone within 5 s, bus name, sockets and SAs with it", async () => {
    const pid = JSON.parse(readFileSync(names(o).stateFile, 'utf8')).pids.imsd as number;
    assert.ok(isAlive(pid));
    assert.ok(await nameHasOwner(bus, LAB_IMSD.busName));
    assert.ok((await socketsInNs(ns)).some((l) => l.includes(`pid=${pid},`)), 'imsd has its SIP socket');
    const t0 = Date.now();
    process.kill(pid, 'SIGTERM');
    await waitUntil('imsd to exit', async () => !isAlive(pid), 5000, 20);
    const ms = Date.now() - t0;
    console.log(`      stopped in ${ms} ms`);
    // what imsd logged after the signal (ims-unregister had de-registered once before)
    const log = readFileSync(imsdPaths(o).log, 'utf8');
    const afterSignal = log.slice(log.lastIndexOf('<5>stopping'));
    assert.match(afterSignal, /^<5>stopping signal=SIGTERM\n[\s\S]*registration state state=deregistered[\s\S]*<5>stopped/);
    // imsd releases its name itself (ReleaseName answered before it exits)
    assert.doesNotMatch(afterSignal, /releasing the bus name failed/);
    assert.equal(await nameHasOwner(bus, LAB_IMSD.busName), false);
    assert.deepEqual((await socketsInNs(ns)).filter((l) => l.includes(`pid=${pid},`)), []);
    assert.deepEqual(await xfrmInNs(ns), { states: 0, policies: 0 });
  });

  describe('imsd started by the test', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'imsdt-sig-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** the lab's imsd.conf with other [Ims] values */
    function config(name: string, pcscf: string): string {
      const f = join(dir, `${name}.conf`);
      writeFileSync(f, readFileSync(imsdPaths(o).config, 'utf8').replace(/^Pcscf=.*$/m, `Pcscf=${pcscf}`).replace(/^StateDir=.*$/m, `StateDir=${join(dir, 'state')}`));
      return f;
    }

    async function stopAndCheck(imsd: ReturnType<typeof spawnImsd>, sig: NodeJS.Signals): Promise<number> {
      const t0 = Date.now();
      imsd.child.kill(sig);
      const end = await imsd.exited;
      assert.equal(end.code, 0, imsd.lines.join('\n'));
      assert.ok(end.at - t0 < 5000, `took ${end.at - t0} ms`);
      assert.equal(await nameHasOwner(bus, LAB_IMSD.busName), false);
      assert.deepEqual((await socketsInNs(ns)).filter((l) => l.includes(`pid=${imsd.pid},`)), []);
      assert.deepEqual(await xfrmInNs(ns), { states: 0, policies: 0 });
      return end.at - t0;
    }

    it('SIGTERM during registration (a P-CSCF that never answers): exit 0 within 5 s, nothing left', async () => {
      // the lab's P-CSCF address that never answers: the REGISTER is retransmitted unanswered
      const imsd = spawnImsd(ns, config('silent', o.deadPcscfV4));
      await imsd.waitForLine(/serving on D-Bus/, 20_000);
      await imsd.waitForLine(/registration state state=registering/, 10_000);
      assert.ok(await nameHasOwner(bus, LAB_IMSD.busName));
      const ms = await stopAndCheck(imsd, 'SIGTERM');
      console.log(`      stopped in ${ms} ms`);
    });

    it('registers over IPv6 when Pcscf names an IPv6 address (the interface has both families)', async () => {
      const imsd = spawnImsd(ns, config('v6', o.coreV6));
      const line = await imsd.waitForLine(/registration state state=registered/, 20_000);
      assert.match(line, new RegExp(`pcscf=${o.coreV6}:5060`));
      assert.ok(imsd.lines.some((l) => l.includes(`starting registration ue=${o.ueV6} `)), imsd.lines.join('\n'));
      await stopAndCheck(imsd, 'SIGTERM');
    });

    it('SIGINT while registered: de-registers, exit 0 within 5 s, nothing left', async () => {
      const imsd = spawnImsd(ns, config('ok', o.coreV4));
      await imsd.waitForLine(/registration state state=registered/, 20_000);
      const ms = await stopAndCheck(imsd, 'SIGINT');
      console.log(`      stopped in ${ms} ms`);
      assert.ok(imsd.lines.some((l) => /registration state state=deregistered/.test(l)), imsd.lines.join('\n'));
    });
  });
});
