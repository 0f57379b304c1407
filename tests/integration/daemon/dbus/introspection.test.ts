// The live service's Introspect output equals the published XML in dbus-interfaces/.
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, type BusConnection } from '../../../../daemon/dbus/binding.js';
import { startDbusService, type DbusService } from '../../../../daemon/dbus/backend.js';
import { VoiceCallManagerObject } from '../../../../daemon/dbus/voicecall-manager-object.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { childNodes, parseIntrospection } from './helpers/introspection.js';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.js';
import { ScriptedBackend } from './helpers/scripted-backend.js';
import { ScriptedCallBackend } from './helpers/scripted-call-backend.js';

const XML_DIR = new URL('../../../../dbus-interfaces/', import.meta.url);
const xmlOf = async (name: string) => parseIntrospection(await readFile(new URL(`${name}.xml`, XML_DIR), 'utf8'))[name];

describe('dbus: introspection matches dbus-interfaces/*.xml (real dbus-daemon)', function () {
  let bus: PrivateBus;
  let service: DbusService;
  let client: BusConnection;
  let stateDir: string;

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon')]);
    bus = await startPrivateBus();
    stateDir = await mkdtemp(join(tmpdir(), 'imsdt-state-'));
    service = await startDbusService({
      bus: bus.address,
      busName: 'org.ofono',
      modemPath: '/imsd_0',
      ims: new ScriptedBackend('001010000000001'),
      stateDir,
      logger: silentLogger,
      modemInfo: { Name: 'imsd test modem' },
    });
    client = await connectBus(bus.address);
  });

  after(async () => {
    client?.close();
    await service?.close();
    await bus?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  const introspect = async (path: string) =>
    String((await client.call('org.ofono', path, 'org.freedesktop.DBus.Introspectable', 'Introspect'))[0]);

  it('/ carries org.ofono.Manager exactly as org.ofono.Manager.xml, and lists the modem as a child', async () => {
    const xml = await introspect('/');
    assert.deepEqual(parseIntrospection(xml)['org.ofono.Manager'], await xmlOf('org.ofono.Manager'));
    assert.ok(childNodes(xml).includes('imsd_0'));
  });

  it('the modem path carries Modem, IpMultimediaSystem and VoiceCallManager exactly as their XML', async () => {
    const live = parseIntrospection(await introspect('/imsd_0'));
    const ofono = Object.keys(live).filter((n) => n.startsWith('org.ofono.')).sort();
    assert.deepEqual(ofono, ['org.ofono.IpMultimediaSystem', 'org.ofono.Modem', 'org.ofono.VoiceCallManager']);
    for (const name of ofono) assert.deepEqual(live[name], await xmlOf(name), name);
  });

  it('a call object carries org.ofono.VoiceCall exactly as org.ofono.VoiceCall.xml', async () => {
    const conn = await connectBus(bus.address);
    try {
      await conn.requestName('org.imsd.test');
      const calls = new ScriptedCallBackend();
      const vcm = new VoiceCallManagerObject(conn, '/t_0', { backend: calls });
      vcm.export();
      vcm.start();
      calls.incoming('+15559999');
      const at = async (path: string) => String((await client.call('org.imsd.test', path, 'org.freedesktop.DBus.Introspectable', 'Introspect'))[0]);
      assert.deepEqual(childNodes(await at('/t_0')), ['voicecall01']);
      const xml = await at('/t_0/voicecall01');
      assert.deepEqual(parseIntrospection(xml)['org.ofono.VoiceCall'], await xmlOf('org.ofono.VoiceCall'));
    } finally {
      conn.close();
    }
  });

  it('companion mode (org.imsd) puts only IpMultimediaSystem and VoiceCallManager on the oFono modem path, no Manager', async () => {
    const companion = await startDbusService({
      bus: bus.address,
      busName: 'org.imsd',
      modemPath: '/ril_0',
      ims: new ScriptedBackend('001010000000001'),
      stateDir,
      logger: silentLogger,
    });
    try {
      const at = async (path: string) =>
        parseIntrospection(String((await client.call('org.imsd', path, 'org.freedesktop.DBus.Introspectable', 'Introspect'))[0]));
      assert.deepEqual(Object.keys(await at('/ril_0')).filter((n) => n.startsWith('org.ofono.')).sort(), [
        'org.ofono.IpMultimediaSystem',
        'org.ofono.VoiceCallManager',
      ]);
      assert.equal((await at('/'))['org.ofono.Manager'], undefined);
    } finally {
      await companion.close();
    }
  });

  it('a second service cannot take a bus name that is owned', async () => {
    const second = new ScriptedBackend('001010000000009');
    await assert.rejects(
      startDbusService({ bus: bus.address, busName: 'org.ofono', modemPath: '/imsd_1', ims: second, stateDir, logger: silentLogger }),
      /cannot own bus name org\.ofono/,
    );
    assert.deepEqual(second.calls, [], 'the refused service did not touch its backend');
    const still = await client.call('org.ofono', '/', 'org.ofono.Manager', 'GetModems');
    assert.equal((still[0] as unknown[]).length, 1);
  });
});
