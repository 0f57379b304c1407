import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Variant } from '../../../../daemon/dbus/binding.js';
import { ImsObject } from '../../../../daemon/dbus/ims-object.js';
import { RegistrationStore } from '../../../../daemon/dbus/registration-store.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import { ScriptedBackend } from '../../../integration/daemon/dbus/helpers/scripted-backend.js';
import { FakeBus } from './fake-bus.js';

const IMS = 'org.ofono.IpMultimediaSystem';
const tick = () => new Promise((r) => setImmediate(r));
/** the store reads and writes files: wait for the effect rather than for a number of ticks */
async function until(what: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await what()); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(await what(), 'condition not reached within 1 s');
}

describe('dbus: IpMultimediaSystem object', () => {
  let dir: string;
  let bus: FakeBus;
  let store: RegistrationStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imsdt-ims-'));
    bus = new FakeBus();
    store = new RegistrationStore(dir);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const changes = () =>
    bus.emitted.filter((e) => e.signal === 'PropertyChanged').map((e) => `${String(e.args[0])}=${String((e.args[1] as Variant).value)}`);

  async function started(backend: ScriptedBackend): Promise<ImsObject> {
    const ims = new ImsObject(bus, '/ril_0', backend, store, silentLogger);
    ims.export();
    await ims.start();
    await tick();
    return ims;
  }

  it('one PropertyChanged per changed property, none for a change event that changed nothing', async () => {
    const backend = new ScriptedBackend('001010000000001');
    await started(backend);
    backend.set({ voiceCapable: true, smsCapable: true });
    backend.set({ voiceCapable: true });
    await tick();
    assert.deepEqual(changes(), ['Registered=true', 'VoiceCapable=true', 'SmsCapable=true']);
  });

  it('a SIM whose IMSI becomes known later gets its remembered setting applied', async () => {
    await store.save('001010000000002', 'disabled');
    const backend = new ScriptedBackend(undefined);
    const ims = await started(backend);
    assert.equal(ims.setting, 'auto');
    assert.deepEqual(backend.calls, ['register']);
    backend.set({ imsi: '001010000000002' });
    await until(() => ims.setting === 'disabled');
    assert.deepEqual(backend.calls, ['register', 'unregister']);
    assert.ok(changes().includes('Registration=disabled'));
  });

  it('a setting made before the IMSI is known is remembered for that SIM once it is', async () => {
    const backend = new ScriptedBackend(undefined);
    await started(backend);
    await bus.invoke('/ril_0', IMS, 'SetProperty', 'Registration', new Variant('s', 'enabled'));
    backend.set({ imsi: '001010000000003' });
    await until(async () => (await store.load('001010000000003')) === 'enabled');
  });
});
