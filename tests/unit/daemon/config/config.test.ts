import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../../daemon/config/errors.js';
import { loadConfig, parseConfig } from '../../../../daemon/config/load.js';

const SOFT = `[General]
BusName=org.ofono
Modem=simulated

[Sim]
Source=soft
Imsi=001010000000001
Ki=465b5ce8b199b49faa5f0a2ee238a6bc
Opc=cd63cb71954a9f4e48a5994e37a02baf

[Ims]
Pcscf=10.45.0.1, fd00:45::1
Interface=lab0
`;

function fails(text: string, line: number | undefined, reason: RegExp, cls: typeof ConfigError = ConfigError): ConfigError {
  let caught: unknown;
  try {
    parseConfig('/etc/imsd/test.conf', text);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  const e = caught as ConfigError;
  assert.equal(e.file, '/etc/imsd/test.conf');
  assert.equal(e.line, line, e.message);
  assert.match(e.reason, reason);
  assert.ok(e.message.startsWith(`/etc/imsd/test.conf${line !== undefined ? `:${line}` : ''}: `), e.message);
  return e;
}

describe('daemon/config', () => {
  it('reads a soft-SIM configuration and fills in the defaults', () => {
    const c = parseConfig('x.conf', SOFT);
    assert.equal(c.general.busName, 'org.ofono');
    assert.equal(c.general.bus, 'system');
    assert.equal(c.general.modemPath, '/imsd_0');
    assert.equal(c.general.stateDir, '/var/lib/imsd');
    assert.equal(c.sim.source, 'soft');
    assert.equal(c.sim.imsi, '001010000000001');
    assert.equal(c.sim.mncLength, 2);
    assert.deepEqual(c.ims.pcscf, ['10.45.0.1', 'fd00:45::1']);
    assert.equal(c.ims.secAgree, 'ipsec-3gpp');
    assert.equal(c.ims.transport, 'auto');
    assert.equal(c.ims.localPort, 5060);
    assert.equal(c.log.level, 'info');
  });

  it('accepts comments, blank lines, spaces around "=" and CRLF line ends', () => {
    const c = parseConfig('x.conf', `# top\r\n${SOFT.replace('Modem=simulated', '  Modem =  simulated  ').replace(/\n/g, '\r\n')}; end\r\n[Log]\r\nLevel=debug\r\n`);
    assert.equal(c.general.modem, 'simulated');
    assert.equal(c.log.level, 'debug');
  });

  it('the documented example etc/imsd.conf is valid', () => {
    const c = loadConfig(fileURLToPath(new URL('../../../../etc/imsd.conf', import.meta.url)));
    assert.equal(c.general.busName, 'org.imsd');
    assert.equal(c.sim.amf, '8000');
  });

  it('an unknown key names file, line and the known keys', () => {
    fails(SOFT.replace('Modem=simulated', 'Modem=simulated\nColour=blue'), 4, /unknown key Colour in \[General\] \(known: Bus, BusName/);
  });

  it('a key in the wrong case is suggested in the right one', () => {
    fails(SOFT.replace('BusName=', 'busname='), 2, /unknown key busname in \[General\] \(did you mean BusName\?/);
  });

  it('an unknown group is rejected at its header', () => {
    fails(`${SOFT}[Voice]\nCodec=amr\n`, 14, /unknown group \[Voice\]/);
  });

  it('bad values name the key and the reason', () => {
    fails(SOFT.replace('Modem=simulated', 'Modem=usb'), 3, /Modem must be one of simulated, at, mediatek, ofono \(not "usb"\)/);
    fails(SOFT.replace('Source=soft', 'Source=card'), 6, /Source must be one of pcsc, modem, soft/);
    fails(SOFT.replace('Pcscf=10.45.0.1, fd00:45::1', 'Pcscf=10.45.0.300'), 12, /"10\.45\.0\.300" is not an IPv4 or IPv6 address/);
    fails(SOFT.replace('BusName=org.ofono', 'BusName=ofono'), 2, /not a valid D-Bus well-known name/);
    fails(`${SOFT}SecAgree=tls\n`, 14, /SecAgree must be one of ipsec-3gpp, none/);
    fails(`${SOFT}Transport=sctp\n`, 14, /Transport must be one of udp, tcp, auto/);
    fails(`${SOFT}LocalPort=70000\n`, 14, /port number/);
    fails(`${SOFT}[Log]\nLevel=warn\n`, 15, /Level must be one of emerg, alert, crit, error, warning/);
    fails(SOFT.replace('Imsi=001010000000001', 'Imsi=00101abc'), 7, /Imsi must be 6-15 digits/);
  });

  it('a malformed secret is rejected without showing it', () => {
    const bad = '465b5ce8b199b49faa5f0a2ee238a6bZ';
    const e = fails(SOFT.replace('Ki=465b5ce8b199b49faa5f0a2ee238a6bc', `Ki=${bad}`), 8, /Ki must be 32 hexadecimal digits \(value not shown\)/);
    assert.ok(!e.message.includes(bad));
    const noEq = fails(SOFT.replace('Opc=cd63cb71954a9f4e48a5994e37a02baf', 'Opc cd63cb71954a9f4e48a5994e37a02baf'), 9, /expected "Key=value"/);
    assert.ok(!noEq.message.includes('cd63cb71'));
  });

  it('syntax errors: duplicate keys and groups, keys outside a group', () => {
    fails(SOFT.replace('Modem=simulated', 'Modem=simulated\nModem=simulated'), 4, /key Modem appears twice in \[General\] \(first on line 3\)/);
    fails(`${SOFT}[General]\n`, 14, /group \[General\] appears twice/);
    fails(`Modem=simulated\n${SOFT}`, 1, /outside of any \[Group\]/);
  });

  it('rules between keys point at the key that does not fit', () => {
    fails(SOFT.replace('Opc=cd63cb71954a9f4e48a5994e37a02baf\n', ''), 6, /Source=soft needs Opc or Op/);
    fails(SOFT.replace('Opc=', 'Op=cd63cb71954a9f4e48a5994e37a02baf\nOpc='), 9, /either Opc or Op/);
    fails(SOFT.replace('Source=soft', 'Source=pcsc'), 7, /Imsi applies only to Source=soft/);
    fails(SOFT.replace('Interface=lab0\n', ''), 3, /Modem=simulated needs Interface/);
  });

  const AT = '[General]\nModem=at\n[Sim]\nSource=modem\n[Modem]\nDevice=/dev/ttyUSB2\nInterface=wwan%d\n';

  it('Modem=at with [Modem] and Source=modem', () => {
    const c = parseConfig('x.conf', AT);
    assert.equal(c.general.modem, 'at');
    assert.equal(c.sim.source, 'modem');
    assert.deepEqual(c.modem, { device: '/dev/ttyUSB2', interface: 'wwan%d', baud: 115200, apn: 'ims', contextId: 1, mode: 'imsd', modemRtp: false, apRtp: false });
    const d = parseConfig('x.conf', `${AT}Baud=921600\nApn=ims.mnc001.mcc001.gprs\nContextId=2\n[Ims]\nPcscf=10.45.0.1\n`);
    assert.deepEqual(d.modem, { device: '/dev/ttyUSB2', interface: 'wwan%d', baud: 921600, apn: 'ims.mnc001.mcc001.gprs', contextId: 2, mode: 'imsd', modemRtp: false, apRtp: false });
    assert.deepEqual(d.ims.pcscf, ['10.45.0.1']);
  });

  it('[Modem] errors name the line and the reason', () => {
    fails(AT.replace('Device=/dev/ttyUSB2', 'Device=ttyUSB2'), 6, /Device must be an absolute path/);
    fails(`${AT}Baud=fast\n`, 8, /Baud must be a bit rate/);
    fails(AT.replace('wwan%d', 'wwan%d%d'), 7, /not a network interface name or a pattern with one %d/);
    fails(AT.replace('wwan%d', 'a very long interface name'), 7, /not a network interface name/);
    fails(`${AT}Apn=ims..x\n`, 8, /not an access point name/);
    fails(`${AT}ContextId=0\n`, 8, /ContextId must be a PDP context id 1-255/);
    fails(`${AT}Colour=red\n`, 8, /unknown key Colour in \[Modem\] \(known: Device, Baud, Interface, Apn, ContextId, Mode, ModemRtp, ApRtp\)/);
  });

  it('rules of Modem=at and Source=modem point at the key that does not fit', () => {
    fails(AT.replace('Device=/dev/ttyUSB2\n', ''), 2, /Modem=at needs Device in \[Modem\]/);
    fails(AT.replace('Interface=wwan%d\n', ''), 2, /Modem=at needs Interface in \[Modem\]/);
    fails(`${AT}[Ims]\nInterface=wwan0\n`, 9, /interface is Interface in \[Modem\], not in \[Ims\]/);
    fails('[General]\nModem=simulated\n[Sim]\nSource=modem\n[Ims]\nPcscf=10.0.0.1\nInterface=x\n', 4, /Source=modem .* needs Modem=at \(not simulated\)/);
    fails(`${SOFT}[Modem]\nDevice=/dev/ttyUSB2\n`, 15, /Device in \[Modem\] applies only to Modem=at/);
    fails(AT.replace('Source=modem', 'Source=modem\nImsi=001010000000001'), 5, /Imsi applies only to Source=soft/);
  });

  it('a missing file is a ConfigError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imsdt-conf-'));
    try {
      const f = join(dir, 'none.conf');
      assert.throws(() => loadConfig(f), (e: unknown) => e instanceof ConfigError && e.message === `${f}: cannot read the configuration file (ENOENT)`);
      writeFileSync(f, SOFT);
      assert.equal(loadConfig(f).ims.interface, 'lab0');
      assert.equal(readFileSync(f, 'utf8'), SOFT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
