// The ofono driver against Debian's real oFono daemon (ofonod 1.31) on a private dbus-daemon.
// This machine has no modem (and Debian has no phonesim), so ofonod serves org.ofono.Manager with
// an empty modem list: what is tested against the real peer is the bus side — the driver sees
// oFono arrive (NameOwnerChanged), parses its real GetModems reply ("no modems"), reports that it
// waits for a modem, and sees oFono leave and come back. Everything past the modem is tested
// against the model (ofono-driver.test.ts).
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { ModemDriverError } from '../../../../modem-drivers/driver.js';
import { OfonoDriver } from '../../../../modem-drivers/ofono/ofono-driver.js';
import { connectBus } from '../../../../daemon/dbus/binding.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from '../../daemon/dbus/helpers/private-bus.js';

describe('modem-drivers/ofono: OfonoDriver against the real ofonod (no modem) on a private dbus-daemon', function () {
  this.timeout(20000);
  let bus: PrivateBus;
  let ofonod: ChildProcess | undefined;
  let driver: OfonoDriver | undefined;
  let log = '';

  const startOfonod = (): ChildProcess => {
    // -n: stay in the foreground; its D-Bus connection is the private bus's, nothing else
    const child = spawn('ofonod', ['-n'], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    return child;
  };
  const stopOfonod = async (): Promise<void> => {
    const child = ofonod;
    ofonod = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const until = async (what: () => boolean, label: string, ms = 5000): Promise<void> => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(what(), `not reached within ${ms} ms: ${label}\n${log}`);
  };

  before(function () {
    requirePrerequisites(this, [command('dbus-daemon'), command('ofonod')]);
  });

  beforeEach(async () => {
    log = '';
    bus = await startPrivateBus();
  });

  afterEach(async () => {
    await driver?.close();
    driver = undefined;
    await stopOfonod();
    await bus?.stop();
  });

  it('waits for oFono, sees it arrive with no modem, leave, and come back', async () => {
    driver = await OfonoDriver.open({ bus: bus.address, activateTimeoutMs: 300 });
    const d = driver;
    assert.equal(d.ofonoOwner, undefined);
    ofonod = startOfonod();
    await until(() => d.ofonoOwner !== undefined, 'ofonod owns org.ofono');
    const first = d.ofonoOwner;
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof ModemDriverError && /not up after 300 ms: oFono has no modem$/.test(e.message));
    assert.equal(d.modemPath, undefined);
    assert.equal(d.lastWarning, undefined, `the real GetModems reply parsed: ${String(d.lastWarning?.message)}`);
    await stopOfonod();
    await until(() => d.ofonoOwner === undefined, 'ofonod gone');
    await assert.rejects(d.activateImsPdn(), /oFono \(org\.ofono\) is not on the bus/);
    ofonod = startOfonod();
    await until(() => d.ofonoOwner !== undefined, 'ofonod back');
    assert.notEqual(d.ofonoOwner, first);
  });

  it('opened while ofonod runs: finds it by GetNameOwner and reads its empty modem list', async () => {
    ofonod = startOfonod();
    const probe = await connectBus(bus.address);
    try {
      // ready once its Manager answers (the same call the driver makes)
      let modems: unknown;
      for (let i = 0; i < 100 && modems === undefined; i++) {
        modems = await probe.call('org.ofono', '/', 'org.ofono.Manager', 'GetModems').then(
          (r) => r[0],
          () => new Promise((r) => setTimeout(r, 50)).then(() => undefined),
        );
      }
      assert.deepEqual(modems, [], `real ofonod with no modem answers an empty list\n${log}`);
    } finally {
      probe.close();
    }
    driver = await OfonoDriver.open({ bus: bus.address, activateTimeoutMs: 200 });
    assert.match(String(driver.ofonoOwner), /^:\d+\.\d+$/);
    assert.equal(driver.modemPath, undefined);
    assert.equal(driver.lastWarning, undefined);
    await assert.rejects(driver.activateImsPdn(), /oFono has no modem/);
  });
});
