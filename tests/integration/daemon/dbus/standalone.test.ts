// Standalone mode (imsd owns org.ofono) against oFono's own test scripts (Debian ofono-scripts,
// python3-dbus) and the oFono error names for bad arguments, on a private dbus-daemon.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImsBackendError, startDbusService } from '../../../../daemon/dbus/backend.js';
import { connectBus, DbusCallError, Variant, type BusConnection, type SignalMessage } from '../../../../daemon/dbus/binding.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import { command, file, requirePrerequisites } from '../../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.js';
import { ScriptedBackend } from './helpers/scripted-backend.js';
import { useServicePerTest } from './helpers/service-per-test.js';

const run = promisify(execFile);
const SCRIPTS = '/usr/share/ofono/scripts';
const IMS = 'org.ofono.IpMultimediaSystem';
const VCM = 'org.ofono.VoiceCallManager';
const IMSI = '001010123456789';

async function rejectsWith(p: Promise<unknown>, errorName: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DbusCallError, String(e));
    assert.equal(e.errorName, errorName, e.message);
    return true;
  });
}

describe('dbus: standalone mode (org.ofono) with oFono scripts on a private dbus-daemon', function () {
  let bus: PrivateBus;
  let backend: ScriptedBackend;
  let client: BusConnection;
  let signals: SignalMessage[];

  const script = async (name: string, ...args: string[]) =>
    (await run(join(SCRIPTS, name), args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, timeout: 10000 })).stdout;
  const ims = (member: string, signature = '', args: unknown[] = []) => client.call('org.ofono', '/imsd_0', IMS, member, signature, args);
  const start = async () => {
    t.service = await startDbusService({
      bus: bus.address,
      busName: 'org.ofono',
      modemPath: '/imsd_0',
      ims: backend,
      stateDir: t.stateDir,
      logger: silentLogger,
      modemInfo: { Name: 'imsd test modem', Manufacturer: 'imsd' },
    });
  };
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(what(), 'condition not reached within 1 s');
  };

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon'), command('python3'), file(join(SCRIPTS, 'list-modems'))]);
    bus = await startPrivateBus();
    client = await connectBus(bus.address);
    signals = [];
    await client.subscribe({ interface: IMS, member: 'PropertyChanged' }, (s) => signals.push(s));
  });

  const t = useServicePerTest(async () => {
    backend = new ScriptedBackend(IMSI);
    signals.length = 0;
    await start();
  });

  after(async () => {
    client?.close();
    await bus?.stop();
  });

  it('list-modems shows the modem, its interfaces and the IMS properties', async () => {
    await until(() => backend.registered);
    const out = await script('list-modems');
    assert.match(out, /\[ \/imsd_0 \]/);
    assert.match(out, /Interfaces = org\.ofono\.IpMultimediaSystem org\.ofono\.VoiceCallManager/);
    assert.match(out, /Name = imsd test modem/);
    assert.match(out, /\[ org\.ofono\.IpMultimediaSystem \]\n(\s+\w+ = .*\n)*\s+Registered = 1/);
    assert.match(out, /Registration = auto/);
    assert.match(out, /EmergencyNumbers = 112 911/);
    assert.doesNotMatch(out, /VoiceCapable/, 'VoiceCapable appears only once known');
  });

  it('auto registers at start; ims-unregister and ims-register reach the backend; PropertyChanged follows', async () => {
    await until(() => backend.registered);
    assert.deepEqual(backend.calls, ['register']);
    await script('ims-unregister');
    await until(() => signals.some((s) => s.body[0] === 'Registered' && (s.body[1] as Variant).value === false));
    await script('ims-register', '/imsd_0');
    await until(() => signals.some((s) => s.body[0] === 'Registered' && (s.body[1] as Variant).value === true));
    assert.deepEqual(backend.calls, ['register', 'unregister', 'register']);
  });

  it('VoiceCapable and SmsCapable appear once known, each with PropertyChanged', async () => {
    backend.set({ voiceCapable: true });
    backend.set({ smsCapable: false });
    await until(() => signals.filter((s) => /Capable$/.test(String(s.body[0]))).length === 2);
    const props = (await ims('GetProperties'))[0] as Record<string, Variant>;
    assert.equal(props.VoiceCapable.value, true);
    assert.equal(props.SmsCapable.value, false);
  });

  it('Registration=disabled de-registers, is remembered for the IMSI, makes Register NotAllowed, and holds after a restart', async () => {
    await until(() => backend.registered);
    await ims('SetProperty', 'sv', ['Registration', new Variant('s', 'disabled')]);
    await until(() => !backend.registered);
    assert.ok(signals.some((s) => s.body[0] === 'Registration' && (s.body[1] as Variant).value === 'disabled'));
    assert.equal(t.service?.registrationSetting, 'disabled');
    assert.equal((await readFile(join(t.stateDir, 'registration', IMSI), 'utf8')).trim(), 'disabled');
    await rejectsWith(ims('Register'), 'org.ofono.Error.NotAllowed');
    await assert.rejects(script('ims-register'), /org\.ofono\.Error\.NotAllowed/);

    await t.service?.close();
    backend = new ScriptedBackend(IMSI);
    await start();
    assert.equal(t.service?.registrationSetting, 'disabled');
    assert.deepEqual(backend.calls, ['unregister']);
    const props = (await ims('GetProperties'))[0] as Record<string, Variant>;
    assert.equal(props.Registration.value, 'disabled');

    await ims('SetProperty', 'sv', ['Registration', new Variant('s', 'enabled')]);
    await until(() => backend.registered);
  });

  it('bad arguments get oFono error names and the service keeps answering', async () => {
    await rejectsWith(ims('SetProperty', 'ss', ['Registration', 'disabled']), 'org.ofono.Error.InvalidArguments');
    await rejectsWith(ims('Register', 's', ['now']), 'org.ofono.Error.InvalidArguments');
    await rejectsWith(ims('SetProperty', 'sv', ['Colour', new Variant('s', 'red')]), 'org.ofono.Error.InvalidArguments');
    await rejectsWith(ims('SetProperty', 'sv', ['Registered', new Variant('b', false)]), 'org.ofono.Error.InvalidArguments');
    await rejectsWith(ims('SetProperty', 'sv', ['Registration', new Variant('b', true)]), 'org.ofono.Error.InvalidArguments');
    await rejectsWith(ims('SetProperty', 'sv', ['Registration', new Variant('s', 'sometimes')]), 'org.ofono.Error.InvalidFormat');
    const vcm = (member: string, signature = '', args: unknown[] = []) => client.call('org.ofono', '/imsd_0', VCM, member, signature, args);
    await rejectsWith(vcm('Dial', 'ss', ['12ab', '']), 'org.ofono.Error.InvalidFormat');
    await rejectsWith(vcm('Dial', 'ss', ['+15559999', 'maybe']), 'org.ofono.Error.InvalidFormat');
    await rejectsWith(vcm('Dial', 'ss', ['+15559999', '']), 'org.ofono.Error.NotImplemented');
    await rejectsWith(vcm('SendTones', 's', ['1x']), 'org.ofono.Error.InvalidFormat');
    for (const m of ['DialLast', 'Transfer', 'SwapCalls', 'ReleaseAndAnswer', 'ReleaseAndSwap', 'HoldAndAnswer', 'HangupAll', 'CreateMultiparty', 'HangupMultiparty']) {
      await rejectsWith(vcm(m), 'org.ofono.Error.NotImplemented');
    }
    assert.deepEqual(await vcm('GetCalls'), [[]]);
    await rejectsWith(client.call('org.ofono', '/imsd_0', 'org.ofono.Modem', 'SetProperty', 'sv', ['Powered', new Variant('b', false)]), 'org.ofono.Error.NotImplemented');
    const props = (await ims('GetProperties'))[0] as Record<string, Variant>;
    assert.equal(props.Registration.value, 'auto');
  });

  it('a backend failure on Register is answered with its oFono name; an unexpected error as Failed without internals', async () => {
    backend.failRegister = new ImsBackendError('InProgress', 'a registration is under way');
    await rejectsWith(ims('Register'), 'org.ofono.Error.InProgress');
    backend.failRegister = new Error('socket exploded at /work/secret/path') as ImsBackendError;
    await assert.rejects(ims('Register'), (e: unknown) => {
      assert.ok(e instanceof DbusCallError);
      assert.equal(e.errorName, 'org.ofono.Error.Failed');
      assert.doesNotMatch(e.message, /exploded|\/work\/|at /);
      return true;
    });
    backend.failRegister = undefined;
    assert.equal(((await ims('GetProperties'))[0] as Record<string, Variant>).Registration.value, 'auto');
  });

  it('Manager announces the modem with ModemAdded at start and ModemRemoved at close', async () => {
    const seen: SignalMessage[] = [];
    const stop = await client.subscribe({ interface: 'org.ofono.Manager' }, (s) => seen.push(s));
    try {
      await t.service?.close();
      t.service = undefined;
      await start();
      await until(() => seen.length === 2);
      assert.deepEqual(seen.map((s) => `${s.member} ${String(s.body[0])}`), ['ModemRemoved /imsd_0', 'ModemAdded /imsd_0']);
      const props = seen[1].body[1] as Record<string, Variant>;
      assert.deepEqual(props.Interfaces.value, ['org.ofono.IpMultimediaSystem', 'org.ofono.VoiceCallManager']);
      assert.equal(props.Powered.value, true);
    } finally {
      await stop();
    }
  });
});

