// Modem=mediatek in the configuration: [Modem] Device, Apn, Mode, ModemRtp and their errors.
import { strict as assert } from 'node:assert';
import { ConfigError } from '../../../../daemon/config/errors.js';
import { parseConfig } from '../../../../daemon/config/load.js';

const MTK = `[General]
Modem=mediatek

[Sim]
Source=soft
Imsi=001010000000001
Ki=465b5ce8b199b49faa5f0a2ee238a6bc
Opc=cd63cb71954a9f4e48a5994e37a02baf

[Modem]
Device=/dev/radio/atci1
`;

function fails(text: string, line: number | undefined, reason: RegExp, cls: typeof ConfigError = ConfigError): void {
  assert.throws(
    () => parseConfig('/etc/imsd/test.conf', text),
    (e: unknown) => e instanceof cls && (e as ConfigError).line === line && reason.test((e as ConfigError).reason) && (e as ConfigError).message.startsWith(`/etc/imsd/test.conf${line !== undefined ? `:${line}` : ''}: `),
  );
}

describe('daemon/config Modem=mediatek', () => {
  it('reads the device and fills in the defaults', () => {
    const c = parseConfig('x.conf', MTK);
    assert.equal(c.general.modem, 'mediatek');
    assert.deepEqual(c.modem, { device: '/dev/radio/atci1', apn: 'ims', mode: 'imsd', modemRtp: false, apRtp: false, baud: 115200, contextId: 1 });
    const d = parseConfig('x.conf', `${MTK}Apn=ims.example\nMode=imsd\nModemRtp=true\n`);
    assert.deepEqual(d.modem, { device: '/dev/radio/atci1', apn: 'ims.example', mode: 'imsd', modemRtp: true, apRtp: false, baud: 115200, contextId: 1 });
  });

  it('names the file, line and reason of each mistake', () => {
    fails(MTK.replace('Device=/dev/radio/atci1\n', ''), 2, /Modem=mediatek needs Device in \[Modem\]/);
    fails(MTK.replace('Device=/dev/radio/atci1', 'Device=radio/atci1'), 11, /Device must be an absolute path/);
    fails(`${MTK}Mode=android\n`, 12, /Mode must be one of imsd, modem-ims \(not "android"\)/);
    fails(`${MTK}ModemRtp=yes\n`, 12, /ModemRtp must be true or false/);
    fails(`${MTK}Apn=ims..x\n`, 12, /Apn "ims..x" is not an access point name/);
    fails(`${MTK}Interface=ccmni1\n`, 12, /Interface in \[Modem\] applies only to Modem=at/);
    fails(`${MTK}[Ims]\nInterface=ccmni1\n`, 13, /interface \(ccmni<N>\) comes from the modem/);
    fails(`${MTK}Devic=/dev/x\n`, 12, /unknown key Devic in \[Modem\]/);
    const simulated = '[General]\nModem=simulated\n[Sim]\nSource=pcsc\n[Ims]\nPcscf=10.0.0.1\nInterface=x\n[Modem]\n';
    fails(`${simulated}Mode=imsd\n`, 9, /Mode in \[Modem\] applies only to Modem=mediatek/);
    fails(`${simulated}ModemRtp=false\n`, 9, /ModemRtp in \[Modem\] applies only to Modem=mediatek/);
    fails(`${simulated}Device=/dev/ttyUSB2\n`, 9, /Device in \[Modem\] applies only to Modem=at and Modem=mediatek/);
  });

  it('ApRtp: the AP\'s RTP for Modem=simulated (default false); refused with other drivers and for values other than true/false', () => {
    const simulated = '[General]\nModem=simulated\n[Sim]\nSource=pcsc\n[Ims]\nPcscf=10.0.0.1\nInterface=x\n[Modem]\n';
    assert.equal(parseConfig('x.conf', simulated).modem.apRtp, false);
    assert.equal(parseConfig('x.conf', `${simulated}ApRtp=true\n`).modem.apRtp, true);
    fails(`${simulated}ApRtp=1\n`, 9, /ApRtp must be true or false/);
    fails(`${MTK}ApRtp=true\n`, 12, /ApRtp in \[Modem\] applies only to Modem=simulated/);
  });

  it('Mode=modem-ims: [Sim] may be left out (the SIM in the modem) or give only Imsi; no keys', () => {
    const bare = '[General]\nModem=mediatek\n[Modem]\nDevice=/dev/radio/atci1\nMode=modem-ims\n';
    const c = parseConfig('x.conf', bare);
    assert.equal(c.modem.mode, 'modem-ims');
    assert.equal(c.sim.source, 'modem');
    assert.equal(c.sim.ki, undefined);
    const withImsi = parseConfig('x.conf', `${bare}[Sim]\nSource=soft\nImsi=001010000000001\n`);
    assert.deepEqual([withImsi.sim.source, withImsi.sim.imsi], ['soft', '001010000000001']);
    assert.equal(parseConfig('x.conf', `${bare}[Sim]\nSource=modem\n`).sim.source, 'modem');
    // real mistakes are still errors
    fails(`${MTK}Mode=modem-ims\n`, 7, /Ki is not used with Mode=modem-ims/);
    fails(`${bare}[Sim]\nSource=soft\n`, 7, /Source=soft with Mode=modem-ims needs Imsi/);
    fails(`${bare}[Sim]\nSource=pcsc\n`, 7, /with Mode=modem-ims the modem authenticates with the SIM in it/);
    fails(`${bare}[Sim]\nSource=modem\nImsi=001010000000001\n`, 8, /Imsi applies only to Source=soft/);
    fails('[General]\nModem=mediatek\n[Modem]\nDevice=/dev/radio/atci1\n', undefined, /Source=soft needs Imsi/);
    fails(`${MTK.replace('Source=soft', 'Source=modem').replace(/Imsi=.*\nKi=.*\nOpc=.*\n/, '')}`, 5, /Source=modem reads the SIM .* needs Modem=at \(not mediatek\), or Modem=mediatek with Mode=modem-ims/);
  });
});
