// [General] Modem=ofono: accepted, with the rules that keep it consistent (oFono owns org.ofono and
// reports the PDN's interface; ModemPath, when set, picks the oFono modem).
import { strict as assert } from 'node:assert';
import { ConfigError } from '../../../../daemon/config/errors.js';
import { parseConfig } from '../../../../daemon/config/load.js';

const OFONO = `[General]
Modem=ofono

[Sim]
Source=soft
Imsi=001010000000001
Ki=465b5ce8b199b49faa5f0a2ee238a6bc
Opc=cd63cb71954a9f4e48a5994e37a02baf
`;

function failsAt(text: string, line: number, reason: RegExp): void {
  assert.throws(
    () => parseConfig('/etc/imsd/imsd.conf', text),
    (e: unknown) => e instanceof ConfigError && e.line === line && reason.test(e.reason) && e.message.startsWith(`/etc/imsd/imsd.conf:${line}: `),
  );
}

describe('daemon/config: Modem=ofono', () => {
  it('is accepted without Interface or Pcscf; no ModemPath: the driver picks the modem', () => {
    const c = parseConfig('/etc/imsd/imsd.conf', OFONO);
    assert.equal(c.general.modem, 'ofono');
    assert.deepEqual(c.ofono, {});
    assert.equal(c.general.busName, 'org.imsd');
    assert.equal(c.ims.interface, undefined);
  });

  it('ModemPath names the oFono modem; Pcscf still overrides the network', () => {
    const c = parseConfig('/etc/imsd/imsd.conf', OFONO.replace('Modem=ofono', 'Modem=ofono\nModemPath=/ril_1') + '[Ims]\nPcscf=10.0.0.1\n');
    assert.deepEqual(c.ofono, { modemPath: '/ril_1' });
    assert.equal(c.general.modemPath, '/ril_1');
    assert.deepEqual(c.ims.pcscf, ['10.0.0.1']);
  });

  it('errors point at the line that does not fit', () => {
    failsAt(OFONO.replace('Modem=ofono', 'BusName=org.ofono\nModem=ofono'), 2, /Modem=ofono needs oFono to own org\.ofono: use BusName=org\.imsd/);
    failsAt(`${OFONO}[Ims]\nInterface=rmnet0\n`, 10, /Interface applies only to Modem=simulated/);
    failsAt(OFONO.replace('Modem=ofono', 'Modem=ofono\nModemPath=/'), 3, /ModemPath must name an oFono modem/);
    failsAt(OFONO.replace('Modem=ofono', 'Modem=ofono\nModemPath=ril_0'), 3, /ModemPath "ril_0" is not a valid D-Bus object path/);
    failsAt(OFONO.replace('Modem=ofono', 'Modem=oFono'), 2, /Modem must be one of simulated, at, mediatek, ofono \(not "oFono"\)/);
  });
});
