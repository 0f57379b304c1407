// ConnectionContext properties (doc/connman-api.txt) to PdnInfo, and the typed property readers.
import { strict as assert } from 'node:assert';
import { Variant } from '../../../../daemon/dbus/binding.js';
import { samePdn } from '../../../../modem-drivers/driver.js';
import { readContextSettings } from '../../../../modem-drivers/ofono/context-settings.js';
import { asProperties, OfonoPropertyError, reqBoolean, type Properties } from '../../../../modem-drivers/ofono/properties.js';

const s = (v: string): Variant => new Variant('s', v);
const as = (v: string[]): Variant => new Variant('as', v);
const d = (v: Properties): Variant => new Variant('a{sv}', v);
const PATH = '/ril_0/context2';
const noMtu = (): undefined => undefined;

function fails(props: Properties, property: string, message: RegExp): void {
  assert.throws(
    () => readContextSettings(PATH, props, noMtu),
    (e: unknown) => e instanceof OfonoPropertyError && e.property === property && e.path === PATH && message.test(e.message),
  );
}

describe('modem-drivers/ofono: context settings', () => {
  it('IPv4 settings as oFono 1.31 sends them: interface, address, gateway, DNS; MTU 1500 when nothing says', () => {
    const r = readContextSettings(
      PATH,
      { Active: new Variant('b', true), Settings: d({ Interface: s('rmnet0'), Method: s('static'), Address: s('10.1.2.3'), Netmask: s('255.255.255.252'), Gateway: s('10.1.2.1'), DomainNameServers: as(['10.1.2.1', '10.1.2.2']) }) },
      noMtu,
    );
    assert.deepEqual(r, { pdn: { interface: 'rmnet0', addresses: ['10.1.2.3'], mtu: 1500, pcscf: [] }, gateways: ['10.1.2.1'], dns: ['10.1.2.1', '10.1.2.2'] });
  });

  it('IPv6 only, the interface MTU from the system, P-CSCF keys as string or list, duplicates once', () => {
    const r = readContextSettings(
      PATH,
      { Settings: d({}), 'IPv6.Settings': d({ Interface: s('rmnet1'), Address: s('2001:db8::5'), PrefixLength: new Variant('y', 64), ProxyCSCF: s('2001:db8::1'), PcscfAddresses: as(['2001:db8::2', '2001:db8::1']) }) },
      (name) => (name === 'rmnet1' ? 1280 : undefined),
    );
    assert.deepEqual(r.pdn, { interface: 'rmnet1', addresses: ['2001:db8::5'], mtu: 1280, pcscf: ['2001:db8::1', '2001:db8::2'] });
  });

  it('an MTU key wins over the interface; out of range is an error', () => {
    const props = (mtu: number): Properties => ({ Settings: d({ Interface: s('rmnet0'), Address: s('10.0.0.1'), MTU: new Variant('u', mtu) }) });
    assert.equal(readContextSettings(PATH, props(1400), () => 1500).pdn.mtu, 1400);
    fails(props(20), 'Settings', /MTU 20 is out of range/);
  });

  it('missing or wrong values are OfonoPropertyErrors naming the context and the key', () => {
    fails({}, 'Settings', /has no Interface/);
    fails({ Settings: d({ Interface: s('rmnet0') }) }, 'Settings', /has no Address/);
    fails({ Settings: d({ Interface: s('rmnet0'), Address: s('2001:db8::1') }) }, 'Settings', /Address "2001:db8::1" is not an IPv4 address/);
    fails({ 'IPv6.Settings': d({ Interface: s('rmnet0'), Address: s('10.0.0.1') }) }, 'IPv6.Settings', /not an IPv6 address/);
    fails({ Settings: d({ Interface: s('a'), Address: s('10.0.0.1') }), 'IPv6.Settings': d({ Interface: s('b'), Address: s('::1') }) }, 'IPv6.Settings', /names interface b, Settings names a/);
    fails({ Settings: s('x') }, 'Settings', /has type s, expected a\{sv\}/);
    fails({ Settings: d({ Interface: new Variant('u', 3), Address: s('10.0.0.1') }) }, 'Interface', /has type u, expected s/);
    fails({ Settings: d({ Interface: s('rmnet0'), Address: s('10.0.0.1'), ProxyCSCF: s('pcscf.example.net') }) }, 'Settings', /ProxyCSCF "pcscf\.example\.net" is not an IP address/);
  });

  it('samePdn compares every field, order included', () => {
    const a = { interface: 'x', addresses: ['10.0.0.1'], mtu: 1500, pcscf: ['10.0.0.2', '10.0.0.3'] };
    assert.ok(samePdn(a, structuredClone(a)));
    assert.ok(!samePdn(a, { ...a, pcscf: ['10.0.0.3', '10.0.0.2'] }));
    assert.ok(!samePdn(a, { ...a, mtu: 1400 }));
  });

  it('asProperties refuses what is not a{sv}; reqBoolean names a missing key', () => {
    const at = { operation: 'op', path: '/p', iface: 'org.ofono.Modem' };
    assert.throws(() => asProperties([1], at), /org\.ofono\.Modem properties of \/p is not a dictionary/);
    assert.throws(() => asProperties({ Powered: true }, at), /Powered of \/p is boolean true, not a variant/);
    assert.throws(() => reqBoolean({}, 'Powered', at), /op: org\.ofono\.Modem Powered of \/p is missing/);
  });
});
