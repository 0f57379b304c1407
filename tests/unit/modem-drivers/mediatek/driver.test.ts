// The mediatek driver against an in-memory channel (the pty transcript suites are in
// tests/integration/modem-drivers/mediatek/): start-up, PDN, bearers, +EIMSPDN, resets, calls.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../daemon/log/logger.js';
import { ModemDriverError } from '../../../../modem-drivers/driver.js';
import type { ModemCall } from '../../../../modem-drivers/mediatek/calls.js';
import { MediatekDriver, type MediatekDriverOptions } from '../../../../modem-drivers/mediatek/driver.js';
import { FakeChannel, settle, type Rule } from './fake-channel.js';

const START: Rule[] = [
  { match: /^AT\+CMEE=1$/ },
  { match: /^AT\+CGEREP=1,0$/ },
  { match: /^AT\+EIMSPDN="onoff",1$/ },
  { match: /^AT\+EIMS=0$/ },
  // 27.007 10.1.22 +CEREG=2, 7.3 +COPS=3,2: the serving cell for P-Access-Network-Info (imsd mode)
  { match: 'AT+CEREG=2' },
  { match: 'AT+COPS=3,2' },
];

/** PLMN 00101, TAC 0x0001, E-UTRAN cell 0x0019B01 (TS 24.229 7.2A.4) */
const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01';

const PDN: Rule[] = [
  { match: 'AT+EAPNACT=1,"ims","ims"', lines: ['urc:+CGEV: ME PDN ACT 1, 2'] },
  { match: 'AT+EPDN=1,"ifst",20', lines: ['+EPDN:1, "new", 1, 0, 2454, 3, "10.45.0.2", "253.0.0.69.0.0.0.0.0.0.0.0.0.0.0.2/64"'] },
  { match: 'AT+CGCONTRDP=1', lines: ['+CGCONTRDP: 1,5,"ims","","","10.45.0.53","","10.45.0.1","",1,0,1400'] },
  { match: 'AT+EAPNACT=0,1', lines: ['urc:+CGEV: ME PDN DEACT 1'] },
  { match: 'AT+COPS?', lines: ['+COPS: 0,2,"00101",7'] },
  { match: 'AT+CEREG?', lines: ['+CEREG: 2,1,"0001","00019B01",7'] },
];

function events(d: MediatekDriver): string[] {
  const log: string[] = [];
  d.on('pdn-up', (p) => log.push(`pdn-up ${p.interface} ${p.addresses.join(',')} pcscf=${p.pcscf.join(',')} mtu=${p.mtu}`));
  d.on('pdn-changed', (p) => log.push(`pdn-changed ${p.addresses.join(',')}${p.accessNetworkInfo !== undefined ? ` ${p.accessNetworkInfo}` : ''}`));
  d.on('pdn-down', (r) => log.push(`pdn-down ${r}`));
  d.on('bearer-up', (b) => log.push(`bearer-up ${b.id} qci=${b.qci} gbr=${b.gbrUplink ?? '-'} filters=${b.filters.length}`));
  d.on('bearer-modified', (b) => log.push(`bearer-modified ${b.id} gbr=${b.gbrUplink ?? '-'}`));
  d.on('bearer-down', (id) => log.push(`bearer-down ${id}`));
  d.on('modem-reset', () => log.push('modem-reset'));
  d.on('ims-registration', (r) => log.push(`ims-registration ${r.registered} ${r.extInfo ?? '-'}`));
  d.on('call', (c: ModemCall) => log.push(`call ${c.id} ${c.direction} ${c.state}${c.cause !== undefined ? ` cause=${c.cause}` : ''}`));
  return log;
}

async function started(rules: Rule[], extra: Partial<MediatekDriverOptions> = {}): Promise<{ d: MediatekDriver; ch: FakeChannel; log: string[] }> {
  const ch = new FakeChannel(rules);
  const d = new MediatekDriver({ open: async () => ch, pdnTimeoutMs: 1000, reopenDelayMs: 5, ...extra });
  const log = events(d);
  await d.start();
  return { d, ch, log };
}

describe('modem-drivers/mediatek MediatekDriver (in-memory channel)', () => {
  it('sets the modem up for imsd mode and goes on past a refused optional command', async () => {
    const { d, ch } = await started([...START.filter((r) => String(r.match) !== String(/^AT\+EIMS=0$/)), { match: 'AT+EIMS=0', final: { kind: 'cme-error', code: 4 } }]);
    assert.deepEqual(ch.sent, ['AT+CMEE=1', 'AT+CGEREP=1,0', 'AT+EIMSPDN="onoff",1', 'AT+EIMS=0', 'AT+CEREG=2', 'AT+COPS=3,2']);
    assert.deepEqual(d.capabilities, { modemRtp: false, bearerEvents: true });
    await d.close();
  });

  it('refuses to start when the modem does not take +CMEE', async () => {
    const ch = new FakeChannel([{ match: 'AT+CMEE=1', final: { kind: 'error' } }]);
    const d = new MediatekDriver({ open: async () => ch });
    await assert.rejects(d.start(), (e: Error) => e instanceof ModemDriverError && /AT\+CMEE=1: ERROR/.test(e.message));
    await d.close();
  });

  it('brings the IMS PDN up with +EAPNACT, +EPDN and +CGCONTRDP, once for concurrent callers', async () => {
    const { d, ch, log } = await started([...START, ...PDN]);
    const [a, b] = await Promise.all([d.activateImsPdn(), d.activateImsPdn()]);
    assert.deepEqual(a, { interface: 'ccmni0', addresses: ['10.45.0.2', 'fd00:45::2'], mtu: 2454, pcscf: ['10.45.0.1'], accessNetworkInfo: CELL });
    assert.deepEqual(b, a);
    assert.equal(ch.sent.filter((c) => c.startsWith('AT+EAPNACT=1')).length, 1);
    assert.deepEqual(log, ['pdn-up ccmni0 10.45.0.2,fd00:45::2 pcscf=10.45.0.1 mtu=2454']);
    await d.deactivateImsPdn();
    assert.equal(ch.sent.at(-1), 'AT+EAPNACT=0,1');
    assert.deepEqual(log.slice(1), ['pdn-down deactivated']);
    assert.equal(d.pdn, undefined);
    await d.close();
  });

  it('reports why an activation failed and releases a half-made PDN', async () => {
    const cme = await started([...START, { match: /^AT\+EAPNACT=1/, final: { kind: 'cme-error', code: 3361 } }]);
    await assert.rejects(cme.d.activateImsPdn(), /AT\+EAPNACT: \+CME ERROR: 3361/);
    await cme.d.close();
    const plain = await started([...START, { match: /^AT\+EAPNACT=1/, final: { kind: 'error' } }]);
    await assert.rejects(plain.d.activateImsPdn(), /does not accept AT\+EAPNACT .*Modem=at/);
    await plain.d.close();
    const err = await started([...START, PDN[0]!, { match: 'AT+EPDN=1,"ifst",20', lines: ['+EPDN: 1,"err",257'] }, PDN[3]!]);
    await assert.rejects(err.d.activateImsPdn(), /\+EPDN error 257/);
    assert.equal(err.ch.sent.at(-1), 'AT+EAPNACT=0,1', 'the PDN the modem activated is released');
    assert.deepEqual(err.log, []);
    await err.d.close();
  });

  it('reports a QCI 1 bearer up, modified and down, then the PDN lost by the network', async () => {
    const { d, ch, log } = await started([
      ...START,
      ...PDN,
      { match: 'AT+CGEQOSRDP=2', lines: ['+CGEQOSRDP: 2,1,40,40,40,40'], once: true },
      { match: 'AT+CGEQOSRDP=2', lines: ['+CGEQOSRDP: 2,1,24,24,40,40'] },
      { match: 'AT+CGTFTRDP=2', lines: ['+CGTFTRDP: 2,1,255,"10.45.0.9.255.255.255.255",17,"50000.50001","40000.40001",,,,3'] },
    ]);
    await d.activateImsPdn();
    ch.urc('+CGEV: NW ACT 1,2,1');
    await settle();
    ch.urc('+CGEV: NW MODIFY 2,2,1');
    await settle();
    assert.equal(d.bearers[0]!.gbrUplink, 24);
    assert.deepEqual(d.bearers[0]!.filters, [{ direction: 'bidirectional', remoteAddress: '10.45.0.9', protocol: 17, localPorts: [50000, 50001], remotePorts: [40000, 40001] }]);
    ch.urc('+CGEV: NW DEACT 1,2,1');
    ch.urc('+CGEV: NW ACT 1,2,1');
    await settle();
    ch.urc('+CGEV: NW PDN DEACT 1');
    await settle();
    assert.deepEqual(log.slice(1), [
      'bearer-up 2 qci=1 gbr=40 filters=1',
      'bearer-modified 2 gbr=24',
      'bearer-down 2',
      'bearer-up 2 qci=1 gbr=24 filters=1',
      'bearer-down 2',
      'pdn-down the network deactivated the IMS PDN',
    ]);
    await d.close();
  });

  it('follows an address change (+EPDN dcchg 256) and a lost IPv6 router advertisement (257)', async () => {
    const { d, ch, log } = await started([...START, ...PDN, { match: 'AT+EPDN=1,"ifst",4', lines: ['+EPDN: 1, "update", 0, 3, "10.45.0.7", "253.0.0.69.0.0.0.0.0.0.0.0.0.0.0.7"'] }]);
    await d.activateImsPdn();
    ch.urc('+EPDN: 1,"dcchg",256');
    await settle();
    ch.urc('+EPDN: 1,"dcchg",257');
    ch.urc('+EPDN:,"dcchg",129');
    await settle();
    assert.deepEqual(log.slice(1), [`pdn-changed 10.45.0.7,fd00:45::7 ${CELL}`, `pdn-changed 10.45.0.7 ${CELL}`], 'the cell is kept');
    assert.equal(d.pdn!.mtu, 2454, 'an update keeps the MTU');
    await d.close();
  });

  it('sets the PDN up when the modem asks (+EIMSPDN notify) and confirms, also for a release', async () => {
    const { d, ch, log } = await started([...START, ...PDN, { match: /^AT\+EIMSPDN="confirm",/ }]);
    ch.urc('+EIMSPDN: "notify",1,1,"ims"');
    await settle(40);
    assert.deepEqual(ch.sent.slice(START.length), ['AT+EAPNACT=1,"ims","ims"', 'AT+EPDN=1,"ifst",20', 'AT+CGCONTRDP=1', 'AT+COPS?', 'AT+CEREG?', 'AT+EIMSPDN="confirm",1,0']);
    ch.urc('+EIMSPDN: "notify",1,0,"ims"');
    await settle(40);
    assert.deepEqual(ch.sent.slice(START.length + 6), ['AT+EAPNACT=0,1', 'AT+EIMSPDN="confirm",1,0']);
    assert.deepEqual(log.map((l) => l.split(' ')[0]), ['pdn-up', 'pdn-down']);
    await d.close();
  });

  it('confirms a failed activation with an error', async () => {
    const { d, ch } = await started([...START, { match: /^AT\+EAPNACT=1/, final: { kind: 'cme-error', code: 100 } }, { match: /^AT\+EIMSPDN="confirm",/ }]);
    ch.urc('+EIMSPDN: "notify",3,1,"ims"');
    await settle(40);
    assert.equal(ch.sent.at(-1), 'AT+EIMSPDN="confirm",3,1');
    await d.close();
  });

  it('treats a closed channel as a modem reset and sets the reopened modem up again', async () => {
    const first = new FakeChannel([...START, ...PDN]);
    const second = new FakeChannel([...START, ...PDN]);
    const channels = [first, second];
    const d = new MediatekDriver({ open: async () => channels.shift()!, pdnTimeoutMs: 1000, reopenDelayMs: 5 });
    const log = events(d);
    await d.start();
    await d.activateImsPdn();
    first.drop('EOF');
    assert.equal(d.pdn, undefined);
    const again = await d.activateImsPdn();
    assert.equal(again.interface, 'ccmni0');
    assert.deepEqual(second.sent.slice(0, 4), ['AT+CMEE=1', 'AT+CGEREP=1,0', 'AT+EIMSPDN="onoff",1', 'AT+EIMS=0']);
    assert.deepEqual(log.map((l) => l.split(' ')[0]), ['pdn-up', 'modem-reset', 'pdn-up']);
    await d.close();
  });

  it('keeps trying to reopen a modem that is not back yet, closing one that refuses start-up', async () => {
    const first = new FakeChannel([...START, ...PDN]);
    const refusing = new FakeChannel([{ match: 'AT+CMEE=1', final: { kind: 'error' } }]);
    const last = new FakeChannel([...START, ...PDN]);
    let opens = 0;
    const d = new MediatekDriver({
      open: async () => {
        opens++;
        if (opens === 1) return first;
        if (opens === 2) throw new Error('ENOENT: no such device');
        return opens === 3 ? refusing : last;
      },
      pdnTimeoutMs: 1000,
      reopenDelayMs: 2,
    });
    await d.start();
    first.drop('EOF');
    assert.equal((await d.activateImsPdn()).interface, 'ccmni0');
    assert.equal(opens, 4);
    assert.equal(refusing.closed, true, 'the channel that refused start-up was closed');
    await d.close();
  });

  it('treats +EIND: 128 with state as a modem restart', async () => {
    const { d, ch, log } = await started([...START, ...PDN]);
    await d.activateImsPdn();
    ch.urc('+EIND: 128');
    await settle(40);
    assert.deepEqual(log.map((l) => l.split(' ')[0]), ['pdn-up', 'modem-reset']);
    assert.deepEqual(ch.sent.slice(-6), ['AT+CMEE=1', 'AT+CGEREP=1,0', 'AT+EIMSPDN="onoff",1', 'AT+EIMS=0', 'AT+CEREG=2', 'AT+COPS=3,2']);
    await d.activateImsPdn();
    await d.close();
  });

  it('logs and ignores lines it cannot parse', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(c.toString());
        cb();
      },
    });
    const { d, ch, log } = await started([...START, ...PDN], { logger: createLogger({ level: 'debug', stream: sink }) });
    await d.activateImsPdn();
    const bad = ['+CGEV: NW MODIFY x,2', '+EPDN: 1,"dcchg', '+EIMSPDN: "notify",1', '+CIREGU: 7', '+ECPI: 1', '+EAIC: 1,"+1555'];
    for (const l of bad) ch.urc(l);
    await settle();
    assert.deepEqual(log.slice(1), []);
    assert.ok(d.pdn);
    const warnings = lines.filter((l) => l.startsWith('<4>') && /not understood/.test(l));
    assert.equal(warnings.length, bad.length, warnings.join(''));
    await d.close();
  });

  it('sets the modem up again after +EIND: 128 without state, with no modem-reset', async () => {
    const { d, ch, log } = await started([...START]);
    ch.urc('+EIND: 128');
    await settle(40);
    assert.deepEqual(ch.sent.slice(START.length), ['AT+CMEE=1', 'AT+CGEREP=1,0', 'AT+EIMSPDN="onoff",1', 'AT+EIMS=0', 'AT+CEREG=2', 'AT+COPS=3,2']);
    assert.deepEqual(log, []);
    await d.close();
  });

  it('fails an activation cut short by the channel closing with a ModemDriverError, then works on the reopened device', async () => {
    const first = new FakeChannel([...START, { match: /^AT\+EAPNACT=1/, lines: ['urc:+CGEV: ME PDN ACT 1, 2'] }]);
    const second = new FakeChannel([...START, ...PDN]);
    const channels = [first, second];
    const d = new MediatekDriver({ open: async () => channels.shift()!, pdnTimeoutMs: 1000, reopenDelayMs: 5 });
    await d.start();
    const pending = d.activateImsPdn();
    await new Promise((r) => setImmediate(r));
    first.drop('EOF');
    await assert.rejects(pending, (e: Error) => e instanceof ModemDriverError && e.message === 'activateImsPdn: AT+EAPNACT=1,"ims","ims": channel closed: EOF');
    assert.equal((await d.activateImsPdn()).interface, 'ccmni0');
    await d.close();
  });

  it('imsd mode: a new serving cell (+CEREG URC) while the PDN is up is pdn-changed; the same cell, other states and a modem without +CEREG=2 are not', async () => {
    const { d, ch, log } = await started([...START, ...PDN]);
    const up = await d.activateImsPdn();
    const next = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019C01';
    ch.urc('+CEREG: 1,"0001","00019C01",7');
    await settle();
    ch.urc('+CEREG: 1,"0001","00019C01",7');
    ch.urc('+CEREG: 2');
    ch.urc('+CEREG: 1,"0001","00019E01",9');
    await settle(40);
    assert.deepEqual(log.slice(1), [`pdn-changed 10.45.0.2,fd00:45::2 ${next}`]);
    assert.deepEqual(d.pdn, { ...up, accessNetworkInfo: next }, 'only the cell changed');
    assert.equal(ch.sent.filter((c) => c === 'AT+COPS?').length, 4, 'PDN up, the new cell, the same cell, the <AcT> 9 cell');
    await d.deactivateImsPdn();
    const sent = ch.sent.length;
    ch.urc('+CEREG: 1,"0001","00019D01",7');
    await settle();
    assert.equal(ch.sent.length, sent, 'no PDN: nothing asked');
    await d.close();

    // a modem that refuses +CEREG=2: no +COPS=3,2, no cell asked at PDN up or on a URC
    const refusing = await started([...START.filter((r) => r.match !== 'AT+CEREG=2'), ...PDN]);
    const pdn = await refusing.d.activateImsPdn();
    assert.equal('accessNetworkInfo' in pdn, false);
    refusing.ch.urc('+CEREG: 1,"0001","00019C01",7');
    await settle();
    assert.deepEqual(refusing.ch.sent.filter((c) => /CEREG|COPS/.test(c)), ['AT+CEREG=2']);
    assert.deepEqual(refusing.log.length, 1);
    await refusing.d.close();
  });

  it('imsd mode: a channel lost while the serving cell is read is a reset, not a PDN without the cell', async () => {
    const ch = new FakeChannel([...START, ...PDN]);
    const channels = [ch, new FakeChannel([...START])];
    const d = new MediatekDriver({ open: async () => channels.shift()!, pdnTimeoutMs: 1000, reopenDelayMs: 5 });
    const log = events(d);
    await d.start();
    const command = ch.command.bind(ch);
    ch.command = async (c: string) => {
      if (c === 'AT+COPS?') queueMicrotask(() => ch.drop('EOF'));
      return command(c);
    };
    await assert.rejects(d.activateImsPdn(), (e: Error) => e instanceof ModemDriverError && /reset/.test(e.message));
    assert.equal(d.pdn, undefined);
    assert.deepEqual(log, ['modem-reset']);
    await d.close();
  });

  it('modem-ims mode: +CEREG is neither set up nor asked about', async () => {
    const rules: Rule[] = [
      { match: 'AT+CMEE=1' }, { match: 'AT+CGEREP=1,0' }, { match: 'AT+EIMSPDN="onoff",1' }, { match: 'AT+CIREG=2' },
      { match: 'AT+ECPI=4294967295' }, { match: 'AT+EAIC=2' }, { match: 'AT+EIMSVOLTE=1' }, { match: 'AT+EIMS=1' }, ...PDN,
    ];
    const { d, ch, log } = await started(rules, { mode: 'modem-ims' });
    const pdn = await d.activateImsPdn();
    assert.equal('accessNetworkInfo' in pdn, false);
    ch.urc('+CEREG: 1,"0001","00019C01",7');
    await settle();
    assert.deepEqual(ch.sent.filter((c) => /CEREG|COPS/.test(c)), []);
    assert.equal(log.length, 1);
    await d.close();
  });

  it('switches IMS features with +CAVIMS, +EIMS and +EIMSVOLTE and reports refusals', async () => {
    const { d, ch } = await started([...START, { match: /^AT\+CAVIMS=[01]$/ }, { match: 'AT+EIMS=1' }, { match: /^AT\+EIMSVOLTE=/, final: { kind: 'cme-error', code: 3 } }]);
    await d.setImsVoiceAvailable(true);
    await d.setImsVoiceAvailable(false);
    await d.setModemIms(true);
    await assert.rejects(d.setModemVolte(true), (e: Error) => e instanceof ModemDriverError && /AT\+EIMSVOLTE=1: \+CME ERROR: 3/.test(e.message));
    assert.deepEqual(ch.sent.slice(START.length), ['AT+CAVIMS=1', 'AT+CAVIMS=0', 'AT+EIMS=1', 'AT+EIMSVOLTE=1']);
    ch.urc('+EIMS: 1');
    ch.urc('+EIMCFLAG: 1');
    await settle();
    assert.equal(d.modemImsEnabled, true);
    await d.close();
  });

  it('records media requests (no public AT hand-over of RTP) and reports ModemRtp as configured', async () => {
    const { d } = await started([...START], { modemRtp: true });
    assert.deepEqual(d.capabilities, { modemRtp: true, bearerEvents: true });
    const session = { callId: 'c1', localAddress: '10.45.0.2', localPort: 50000, remoteAddress: '10.45.0.9', remotePort: 40000, codec: { name: 'AMR-WB', clockRate: 16000, payloadType: 97 }, ptime: 20, direction: 'sendrecv' as const };
    await assert.rejects(d.updateMedia(session), /no media for call c1/);
    await d.startMedia(session);
    await d.updateMedia({ ...session, direction: 'sendonly' });
    await d.sendTones('c1', '12#');
    await d.stopMedia('c1');
    await d.stopMedia('c1');
    assert.deepEqual(d.mediaLog.map((r) => r.op), ['start', 'update', 'tones', 'stop']);
    await d.close();
    await assert.rejects(d.activateImsPdn(), /driver is closed/);
  });

  it('modem-ims mode: +CIREGU, an MO call to released and an approved MT call answered', async () => {
    const rules: Rule[] = [
      { match: 'AT+CMEE=1' }, { match: 'AT+CGEREP=1,0' }, { match: 'AT+EIMSPDN="onoff",1' }, { match: 'AT+CIREG=2' },
      { match: 'AT+ECPI=4294967295' }, { match: 'AT+EAIC=2' }, { match: 'AT+EIMSVOLTE=1' }, { match: 'AT+EIMS=1' },
      { match: 'ATD+15559999;', lines: ['urc:+ECPI: 1,130,0,0,0,20,"+15559999",145,""'] },
      { match: 'AT+CHLD=11' },
      { match: 'AT+EAIC=0,2,7' },
      { match: 'ATA' },
    ];
    const { d, ch, log } = await started(rules, { mode: 'modem-ims' });
    assert.deepEqual(ch.sent, rules.slice(0, 8).map((r) => r.match));
    ch.urc('+CIREGU: 1,5');
    await settle();
    assert.deepEqual(d.imsRegistration, { registered: true, extInfo: 5 });
    const call = await d.dial('+15559999');
    assert.equal(call.id, 1);
    ch.urc('+ECPI: 1,2,1,1,0,20,"+15559999",145,""');
    ch.urc('+ECPI: 1,6,0,1,0,20,"+15559999",145,""');
    ch.urc('+ECPI: 1,132,0,1,0,20,"+15559999",145,""');
    await d.hangup(1);
    ch.urc('+ECPI: 1,133,0,0,0,20,"+15559999",145,"",16');
    ch.urc('+EAIC: 2,"+15551234",145,20,7');
    await d.approveIncoming(2);
    ch.urc('+ECPI: 2,0,0,0,1,20,"+15551234",145,""');
    ch.urc('RING');
    await d.answer();
    ch.urc('+ECPI: 2,6,0,1,1,20,"+15551234",145,""');
    assert.deepEqual(log, [
      'ims-registration true 5',
      'call 1 outgoing dialing',
      'call 1 outgoing alerting',
      'call 1 outgoing active',
      'call 1 outgoing released cause=16',
      'call 2 incoming approval',
      'call 2 incoming incoming',
      'call 2 incoming active',
    ]);
    await assert.rejects(d.dial('123;ATH'), /not a diallable number/);
    await assert.rejects(d.hangup(9), /no call 9/);
    await d.close();
  });
});
