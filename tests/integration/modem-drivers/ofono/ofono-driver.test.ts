// The ofono driver against a model of oFono (tests/helpers/ofono-model) on a private, real
// dbus-daemon. A model, not oFono: oFono 1.31 runs on this machine but has no modem to drive (no
// hardware, no phonesim), so the ConnectionManager/ConnectionContext side is the model's; what the
// real ofonod does with no modem is in real-ofonod.test.ts. Every test gets a fresh bus.
import { strict as assert } from 'node:assert';
import { ModemDriverError, type PdnInfo } from '../../../../modem-drivers/driver.js';
import { OfonoDriver, type OfonoDriverOptions } from '../../../../modem-drivers/ofono/ofono-driver.js';
import { OfonoCallError } from '../../../../modem-drivers/ofono/ofono-client.js';
import { OfonoPropertyError } from '../../../../modem-drivers/ofono/properties.js';
import { Variant } from '../../../../daemon/dbus/binding.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { bool, dict, OfonoModel, str, strs, type Dict } from '../../../helpers/ofono-model/ofono-model.js';
import { startPrivateBus, type PrivateBus } from '../../daemon/dbus/helpers/private-bus.js';

const IMSI = '001010123456789';
const V4: Dict = { Interface: str('rmnet_data1'), Method: str('static'), Address: str('10.45.0.7'), Netmask: str('255.255.255.0'), Gateway: str('10.45.0.1'), DomainNameServers: strs(['10.45.0.1']) };

type Event = [string, unknown];
const pdnOf = (d: OfonoDriver): PdnInfo | undefined => d.pdn;

describe('modem-drivers/ofono: OfonoDriver against a model of oFono on a private dbus-daemon', function () {
  this.timeout(15000);
  let bus: PrivateBus;
  let model: OfonoModel;
  let driver: OfonoDriver | undefined;
  let events: Event[];

  const open = async (o: Partial<OfonoDriverOptions> = {}): Promise<OfonoDriver> => {
    driver = await OfonoDriver.open({ bus: bus.address, interfaceMtu: () => 1400, activateTimeoutMs: 3000, ...o });
    for (const e of ['pdn-up', 'pdn-changed', 'pdn-down', 'modem-reset', 'modem-changed', 'warning'] as const) {
      driver.on(e, (arg?: unknown) => events.push([e, arg]));
    }
    return driver;
  };
  const until = async (what: () => boolean, label: string, ms = 3000): Promise<void> => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.ok(what(), `not reached within ${ms} ms: ${label}`);
  };
  const names = (): string[] => events.map(([n]) => n).filter((n) => n !== 'modem-changed');
  const count = (name: string): number => events.filter(([n]) => n === name).length;

  before(function () {
    requirePrerequisites(this, [command('dbus-daemon')]);
  });

  beforeEach(async () => {
    events = [];
    bus = await startPrivateBus();
    model = await OfonoModel.start(bus.address);
  });

  afterEach(async () => {
    await driver?.close();
    driver = undefined;
    await model?.down();
    await bus?.stop();
  });

  it('discovers the modem, its SIM (IMSI, MCC/MNC) and LTE registration; VoPS is unknown', async () => {
    model.addModem('/hfp_0', { type: 'hfp', online: false });
    model.addModem('/ril_0', { imsi: IMSI, mcc: '001', mnc: '01', contexts: [{ type: 'internet', apn: 'internet' }] });
    const d = await open();
    assert.equal(d.modemPath, '/ril_0', 'the first modem with a ConnectionManager');
    assert.deepEqual(d.sim, { present: true, imsi: IMSI, mcc: '001', mnc: '01' });
    assert.deepEqual(d.network, { status: 'registered', technology: 'lte', registered: true, lte: true, vops: 'unknown' });
    assert.deepEqual(d.capabilities, { modemRtp: false, bearerEvents: false });
    assert.equal(d.pdn, undefined);
    assert.equal(d.contextPath, undefined, 'an internet context is not the IMS PDN');
    model.modem('/ril_0').setNetwork('Status', str('roaming'));
    model.modem('/ril_0').setSim('SubscriberIdentity', str('001010000000002'));
    await until(() => d.network?.status === 'roaming' && d.sim?.imsi === '001010000000002', 'network and SIM changes');
    assert.equal(d.network?.registered, true);
  });

  it('uses the configured ModemPath, waiting for it when oFono does not have it yet', async () => {
    model.addModem('/ril_0');
    const d = await open({ modemPath: '/ril_1' });
    assert.equal(d.modemPath, undefined);
    assert.equal(await d.waitForModem(100), undefined, 'no modem within 100 ms');
    const waited = d.waitForModem(5000);
    model.addModem('/ril_1', { imsi: IMSI });
    assert.equal(await waited, '/ril_1');
    await until(() => d.sim?.imsi === IMSI, 'SIM of /ril_1');
  });

  it('creates the missing IMS context with APN "ims", activates it and reports its settings', async () => {
    const modem = model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open();
    const pdn = await d.activateImsPdn();
    const expected: PdnInfo = { interface: 'rmnet_data1', addresses: ['10.45.0.7'], mtu: 1400, pcscf: [] };
    assert.deepEqual(pdn, expected);
    assert.deepEqual(d.pdn, expected);
    assert.deepEqual(model.callsTo('AddContext').map((c) => c.args), [['ims']]);
    const ctx = modem.context();
    assert.equal(d.contextPath, ctx.path);
    assert.equal(ctx.props.AccessPointName!.value, 'ims');
    assert.equal(ctx.active, true);
    assert.deepEqual(d.contextSettings?.gateways, ['10.45.0.1']);
    assert.deepEqual(d.contextSettings?.dns, ['10.45.0.1']);
    await new Promise((r) => setTimeout(r, 50)); // the Settings/Active signals arrive after the reply
    assert.deepEqual(names(), ['pdn-up'], 'pdn-up once, no pdn-changed for the late signals');
    assert.deepEqual(await d.activateImsPdn(), expected, 'activating an active PDN answers at once');
    assert.equal(model.callsTo('AddContext').length, 1);
  });

  it('reads P-CSCF addresses (ProxyCSCF, PcscfAddresses) and MTU where the build provides them, IPv4 and IPv6', async () => {
    model.addModem('/ril_0', {
      contexts: [{ type: 'ims', apn: 'ims' }],
      onActivate: {
        settings: { ...V4, ProxyCSCF: str('10.45.0.1'), MTU: new Variant('q', 1360) },
        ipv6Settings: { Interface: str('rmnet_data1'), Address: str('2001:db8::7'), PrefixLength: new Variant('y', 64), PcscfAddresses: strs(['2001:db8::1', '10.45.0.1']) },
      },
    });
    const d = await open();
    const pdn = await d.activateImsPdn();
    assert.deepEqual(pdn, { interface: 'rmnet_data1', addresses: ['10.45.0.7', '2001:db8::7'], mtu: 1360, pcscf: ['10.45.0.1', '2001:db8::1'] });
    assert.equal(model.callsTo('AddContext').length, 0, 'the existing IMS context is used');
  });

  it('P-Access-Network-Info from the serving LTE cell (NetworkRegistration MCC/MNC, LocationAreaCode = TAC, CellId); a new cell or leaving LTE is a pdn-changed', async () => {
    const modem = model.addModem('/ril_0', { contexts: [{ type: 'ims', apn: 'ims' }], onActivate: { settings: V4 } });
    Object.assign(modem.network, { MobileCountryCode: str('001'), MobileNetworkCode: str('01'), LocationAreaCode: new Variant('q', 1), CellId: new Variant('u', 0x19b) });
    const d = await open();
    const pdn = await d.activateImsPdn();
    assert.equal(pdn.accessNetworkInfo, '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(names(), ['pdn-up']);
    modem.setNetwork('CellId', new Variant('u', 0xa2b3c01));
    await until(() => count('pdn-changed') === 1, 'pdn-changed for the new cell');
    const changed = events.find(([n]) => n === 'pdn-changed')![1] as PdnInfo;
    assert.equal(changed.accessNetworkInfo, '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001A2B3C01');
    assert.deepEqual(changed.addresses, pdn.addresses);
    modem.setNetwork('Strength', new Variant('y', 60));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(count('pdn-changed'), 1, 'a new signal strength is no new PDN');
    modem.setNetwork('Technology', str('umts'));
    await until(() => count('pdn-changed') === 2, 'pdn-changed when the cell is no longer LTE');
    assert.equal(d.pdn?.accessNetworkInfo, undefined);
    assert.equal('accessNetworkInfo' in d.pdn!, false);
    modem.setNetwork('Technology', str('lte'));
    await until(() => count('pdn-changed') === 3, 'back on LTE');
    modem.setNetwork('MobileCountryCode', str('1x1'));
    await until(() => count('warning') === 1, 'a warning for an MCC no cell has');
    assert.match(String((events.find(([n]) => n === 'warning')![1] as Error).message), /MCC must be 3 digits/);
    assert.equal(d.pdn?.accessNetworkInfo, undefined, 'no P-Access-Network-Info rather than a wrong one');
    assert.deepEqual(d.pdn?.addresses, ['10.45.0.7'], 'the PDN stays');
  });

  it('takes an IMS context that is already active at start without touching it', async () => {
    model.addModem('/ril_0', { contexts: [{ type: 'ims', apn: 'ims', active: true, settings: V4 }] });
    const d = await open();
    assert.equal(d.pdn?.addresses[0], '10.45.0.7', 'up when open() resolves (pdn-up went out before any listener)');
    await d.activateImsPdn();
    assert.equal(model.callsTo('SetProperty').length, 0);
  });

  it('powers the modem, sets it online and waits for attach before activating', async () => {
    const modem = model.addModem('/ril_0', { powered: false, online: false, attached: false, imsi: IMSI, onActivate: { settings: V4 } });
    const d = await open();
    const activation = d.activateImsPdn();
    await until(() => modem.powered && modem.online, 'Powered and Online set by the driver');
    await until(() => model.callsTo('SetProperty').some((c) => c.args[0] === 'Active'), 'an activation attempt');
    assert.equal(d.pdn, undefined, 'NotAttached: still waiting');
    await new Promise((r) => setTimeout(r, 50));
    modem.setAttached(true);
    const pdn = await activation;
    assert.equal(pdn.interface, 'rmnet_data1');
    assert.deepEqual(
      model.callsTo('SetProperty').filter((c) => c.iface === 'org.ofono.Modem').map((c) => [c.args[0], (c.args[1] as Variant).value]),
      [['Powered', true], ['Online', true]],
    );
    assert.equal(d.sim?.imsi, IMSI, 'the SIM is read once SimManager appears');
  });

  it('PDN loss (Active false from the network): pdn-down, then activation again while wanted', async () => {
    const modem = model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open();
    await d.activateImsPdn();
    modem.context().deactivate();
    await until(() => count('pdn-up') === 2, 'reactivated');
    assert.deepEqual(names(), ['pdn-up', 'pdn-down', 'pdn-up']);
    assert.equal(events[events.findIndex(([n]) => n === 'pdn-down')]![1], 'the IMS context was deactivated');
    assert.equal(d.pdn?.addresses[0], '10.45.0.7');
    // deactivated by imsd: down, and it stays down when the network moves
    await d.deactivateImsPdn();
    assert.equal(modem.context().active, false);
    modem.setAttached(true);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(names(), ['pdn-up', 'pdn-down', 'pdn-up', 'pdn-down']);
    assert.equal(events.at(-1)![1], 'deactivated');
    assert.equal(d.pdn, undefined);
  });

  it('a new address or P-CSCF while active: pdn-changed; the same settings again: nothing', async () => {
    const modem = model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open();
    await d.activateImsPdn();
    const ctx = modem.context();
    ctx.set('Settings', dict({ ...V4, Address: str('10.45.0.99'), ProxyCSCF: str('10.45.0.2') }));
    await until(() => count('pdn-changed') === 1, 'pdn-changed');
    assert.deepEqual((events.find(([n]) => n === 'pdn-changed')![1] as PdnInfo).addresses, ['10.45.0.99']);
    assert.deepEqual(d.pdn?.pcscf, ['10.45.0.2']);
    ctx.set('Settings', dict({ ...V4, Address: str('10.45.0.99'), ProxyCSCF: str('10.45.0.2') }));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(count('pdn-changed'), 1);
  });

  it('the modem removed: modem-reset; a new modem: the PDN comes back', async () => {
    model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open();
    await d.activateImsPdn();
    model.removeModem('/ril_0');
    await until(() => count('modem-reset') === 1, 'modem-reset');
    assert.equal(d.modemPath, undefined);
    assert.equal(d.pdn, undefined);
    model.addModem('/ril_0', { onActivate: { settings: { ...V4, Address: str('10.45.0.8') } } });
    await until(() => count('pdn-up') === 2, 'pdn-up on the new modem');
    assert.deepEqual(names(), ['pdn-up', 'modem-reset', 'pdn-up']);
    assert.equal(pdnOf(d)?.addresses[0], '10.45.0.8');
  });

  it('the modem powered off: pdn-down and modem-reset; powered again only when the PDN is asked for', async () => {
    const modem = model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open();
    await d.activateImsPdn();
    modem.setModem('Powered', false);
    await until(() => count('modem-reset') === 1, 'modem-reset');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(names(), ['pdn-up', 'pdn-down', 'modem-reset']);
    assert.equal(modem.powered, false, 'not powered again in the background');
    await d.activateImsPdn();
    assert.equal(modem.powered, true);
    assert.deepEqual(names(), ['pdn-up', 'pdn-down', 'modem-reset', 'pdn-up']);
  });

  it('flight mode (Online false): pdn-down, and the driver leaves the modem offline', async () => {
    const modem = model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open();
    await d.activateImsPdn();
    modem.setModem('Online', false);
    await until(() => count('pdn-down') === 1, 'pdn-down');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(modem.online, false);
    assert.equal(model.callsTo('SetProperty').filter((c) => c.args[0] === 'Online').length, 0);
    modem.setModem('Online', true);
    await until(() => count('pdn-up') === 2, 'back online: activated again (the PDN is still wanted)');
    assert.deepEqual(names(), ['pdn-up', 'pdn-down', 'pdn-up']);
  });

  it('oFono restarting (org.ofono released and taken again): pdn-down, then discovery and the PDN again', async () => {
    model.addModem('/ril_0', { imsi: IMSI, onActivate: { settings: V4 } });
    const d = await open();
    await d.activateImsPdn();
    const owner = d.ofonoOwner;
    await model.down();
    await until(() => count('pdn-down') === 1, 'pdn-down when oFono leaves');
    assert.equal(events.find(([n]) => n === 'pdn-down')![1], 'oFono left the bus');
    assert.equal(d.ofonoOwner, undefined);
    assert.equal(d.modemPath, undefined);
    await model.up();
    await until(() => count('pdn-up') === 2, 'pdn-up after the restart');
    assert.notEqual(d.ofonoOwner, owner, 'a new connection owns org.ofono');
    assert.equal(d.modemPath, '/ril_0');
    assert.equal(d.sim?.imsi, IMSI);
    assert.deepEqual(names(), ['pdn-up', 'pdn-down', 'pdn-up']);
  });

  it('oFono not on the bus: activateImsPdn fails after its timeout, then the PDN comes up when oFono does', async () => {
    await model.down();
    model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open({ activateTimeoutMs: 200 });
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof ModemDriverError && /not up after 200 ms: oFono \(org\.ofono\) is not on the bus/.test(e.message));
    await model.up();
    await until(() => count('pdn-up') === 1, 'pdn-up once oFono is there');
  });

  it('activateTimeoutMs Infinity: activateImsPdn waits for a late oFono (and a closed driver ends the wait)', async () => {
    await model.down();
    model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const d = await open({ activateTimeoutMs: Infinity });
    const activation = d.activateImsPdn();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(count('pdn-up'), 0);
    await model.up();
    assert.equal((await activation).interface, 'rmnet_data1');
    await model.down();
    const waiting = d.activateImsPdn().then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await new Promise((r) => setTimeout(r, 100));
    await d.close();
    assert.equal(await waiting, 'activateImsPdn: driver is closed');
  });

  it('a refused Powered is an error of that call, and asked again by the next activateImsPdn', async () => {
    const modem = model.addModem('/ril_0', { powered: false, online: false, refusePower: 1, onActivate: { settings: V4 } });
    const d = await open();
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof OfonoCallError && e.errorName === 'org.ofono.Error.Failed');
    assert.equal(modem.powered, false);
    assert.equal((await d.activateImsPdn()).interface, 'rmnet_data1');
    assert.equal(model.callsTo('SetProperty').filter((c) => c.args[0] === 'Powered').length, 2);
  });

  it('an activation error of oFono is a typed error with its name', async () => {
    model.addModem('/ril_0', { activationError: 'Failed', onActivate: { settings: V4 } });
    const d = await open();
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof OfonoCallError && e.errorName === 'org.ofono.Error.Failed' && e.operation === 'activateImsPdn');
  });

  it('missing or mistyped properties: typed errors and warnings, no crash', async () => {
    // an active context without Interface
    const modem = model.addModem('/ril_0', { onActivate: { settings: { Address: str('10.45.0.7') } } });
    const d = await open();
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof OfonoPropertyError && /has no Interface/.test(e.message) && e.property === 'Settings');
    assert.equal(d.pdn, undefined);
    // an address that is not one
    modem.context().set('Settings', dict({ Interface: str('rmnet_data1'), Address: str('10.45.0.300') }));
    await until(() => events.some(([n, e]) => n === 'warning' && /Address "10\.45\.0\.300" is not an IPv4 address/.test((e as Error).message)), 'a warning naming the address');
    assert.equal(d.pdn, undefined);
    // a property of the wrong type on the SIM, then a good one: the driver still follows
    const warnings = events.length;
    modem.setSim('SubscriberIdentity', new Variant('u', 12345));
    const simWarning = (): Error | undefined =>
      events.slice(warnings).find(([n, e]) => n === 'warning' && /SimManager SubscriberIdentity of \/ril_0 has type u, expected s/.test((e as Error).message))?.[1] as Error | undefined;
    await until(() => simWarning() !== undefined, 'a warning for the SIM');
    assert.ok(simWarning() instanceof OfonoPropertyError);
    modem.setSim('SubscriberIdentity', str(IMSI));
    await until(() => d.sim?.imsi === IMSI, 'the next good value');
    // Settings that are not a dictionary while up: the PDN is given up, with a warning
    modem.context().set('Settings', dict({ ...V4 }));
    modem.context().set('Active', bool(true));
    await until(() => d.pdn !== undefined, 'pdn-up with good settings');
    modem.context().set('Settings', str('garbage'));
    await until(() => d.pdn === undefined, 'pdn down after unusable settings');
    assert.match(String(d.lastWarning?.message), /Settings of \/ril_0\/context\d+ has type s, expected a\{sv\}/);
  });

  it('a modem list oFono garbles at start: a warning, the driver opens and works after oFono restarts', async () => {
    const modem = model.addModem('/ril_0', { onActivate: { settings: V4 } });
    const real = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(modem), 'properties')!;
    Object.defineProperty(modem, 'properties', { get: () => ({ ...real.get!.call(modem), Powered: str('yes') }), configurable: true });
    const d = await open();
    assert.equal(d.modemPath, undefined);
    assert.match(String(d.lastWarning?.message), /org\.ofono\.Modem Powered of \/ril_0 has type s, expected b/);
    delete (modem as unknown as Record<string, unknown>).properties;
    await model.restart();
    await until(() => d.modemPath === '/ril_0', 'discovery after the restart');
    assert.equal((await d.activateImsPdn()).interface, 'rmnet_data1');
  });

  it('media hooks are recorded; closed driver refuses work', async () => {
    model.addModem('/ril_0');
    const d = await open();
    const session = { callId: 'c1', localAddress: '10.45.0.7', localPort: 4000, remoteAddress: '10.45.0.9', remotePort: 5000, codec: { name: 'AMR-WB', clockRate: 16000, payloadType: 97 }, ptime: 20, direction: 'sendrecv' as const };
    await d.startMedia(session);
    await d.sendTones('c1', '12#');
    await d.stopMedia('c1');
    assert.deepEqual(d.mediaLog.map((r) => r.op), ['start', 'tones', 'stop']);
    await assert.rejects(d.updateMedia(session), ModemDriverError);
    await d.close();
    await assert.rejects(d.activateImsPdn(), /driver is closed/);
  });
});
