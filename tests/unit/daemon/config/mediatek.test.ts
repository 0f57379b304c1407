// Modem=mediatek in the configuration: [Modem] Device, Apn, Mode, ModemRtp and their errors.
import { strict as assert } from 'node:assert';
import { ConfigError, NotAvailableError } from '../../../../daemon/config/errors.js';
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
    assert.deepEqual(c.modem, { device: '/dev/radio/atci1', apn: 'ims', mode: 'imsd', modemRtp: false, baud: 115200, contextId: 1 });
    const d = parseConfig('x.conf', `${MTK}Apn=ims.example\nMode=imsd\nModemRtp=true\n`);
    assert.deepEqual(d.modem, { device: '/dev/radio/atci1', apn: 'ims.example', mode: 'imsd', modemRtp: true, baud: 115200, contextId: 1 });
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

  it('says modem-ims mode is not available yet in the daemon', () => {
    fails(`${MTK}Mode=modem-ims\n`, 12, /Mode=modem-ims is not available yet/, NotAvailableError);
  });
});
