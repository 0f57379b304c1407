// The generic AT driver against scripted modems on pseudo-terminals (tests/fixtures/modems).
import assert from 'node:assert/strict';
import { AtDriver, type AtDriverOptions } from '../../../../modem-drivers/at/driver.js';
import { openSerialChannel } from '../../../../modem-drivers/at/serial.js';
import { createLogger } from '../../../../daemon/log/logger.js';
import { PassThrough } from 'node:stream';
import { ModemDriverError, type BearerInfo, type PdnInfo } from '../../../../modem-drivers/driver.js';
import { ScriptedModem, type ModemService } from '../../../helpers/scripted-modem/scripted-modem.js';
import { useScriptedModems, type ModemRig } from '../../../helpers/scripted-modem/suite.js';

/** the serving cell of activate.at: PLMN 00101, TAC 0x0001, E-UTRAN cell id 0x0019B01 (TS 24.229 7.2A.4) */
const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01';
const PDN = { interface: 'wwan1', addresses: ['10.45.0.2', 'fd00:45::2'], pcscf: ['10.45.0.1', '10.45.0.9', 'fd00:45::1'], mtu: 1400, accessNetworkInfo: CELL };
const PDN_NO_CELL = { interface: 'wwan1', addresses: ['10.45.0.2', 'fd00:45::2'], pcscf: ['10.45.0.1', '10.45.0.9', 'fd00:45::1'], mtu: 1400 };

class Recorder {
  readonly log: string[] = [];
  readonly bearers: BearerInfo[] = [];
  readonly changed: PdnInfo[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];
  constructor(d: AtDriver) {
    d.on('pdn-up', (p) => this.#add(`pdn-up ${p.addresses.join(',')}`));
    d.on('pdn-changed', (p) => {
      this.changed.push(p);
      this.#add(`pdn-changed ${p.addresses.join(',')}`);
    });
    d.on('pdn-down', (r) => this.#add(`pdn-down ${r}`));
    d.on('bearer-up', (b) => {
      this.bearers.push(b);
      this.#add(`bearer-up ${b.id} qci=${b.qci}`);
    });
    d.on('bearer-modified', (b) => {
      this.bearers.push(b);
      this.#add(`bearer-modified ${b.id} gbr=${b.gbrUplink}`);
    });
    d.on('bearer-down', (id) => this.#add(`bearer-down ${id}`));
    d.on('modem-reset', () => this.#add('modem-reset'));
  }
  #add(s: string): void {
    this.log.push(s);
    this.#waiters = this.#waiters.filter((w) => (this.log.length >= w.n ? (w.resolve(), false) : true));
  }
  /** resolves once `n` events have been seen */
  count(n: number, timeoutMs = 5000): Promise<void> {
    if (this.log.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.log.length} of ${n} events: ${this.log.join(' | ')}`)), timeoutMs);
      this.#waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }
}

describe('modem-drivers/at AtDriver against scripted modems', function () {
  const rig: ModemRig<AtDriver> = { modems: [], driver: undefined };
  const modems = rig.modems;
  useScriptedModems(rig);

  async function start(transcript: string, options: Partial<AtDriverOptions> = {}, services: ModemService[] = []): Promise<{ modem: ScriptedModem; d: AtDriver; rec: Recorder }> {
    const modem = await ScriptedModem.start(transcript, { services });
    modems.push(modem);
    const d = await AtDriver.open({ channel: () => openSerialChannel({ device: modem.device, timeoutMs: 1000 }), interface: 'wwan%d', keepaliveMs: 0, ...options });
    rig.driver = d;
    return { modem, d, rec: new Recorder(d) };
  }

  it('brings the IMS PDN up with the P-CSCF addresses from PCO, and down again', async () => {
    const sink = new PassThrough();
    let logged = '';
    sink.on('data', (b: Buffer) => (logged += b.toString()));
    const { modem, d, rec } = await start('pdn-up.at', { logger: createLogger({ level: 'debug', stream: sink }) });
    assert.deepEqual(d.capabilities, { modemRtp: false, bearerEvents: true });
    const pdn = await d.activateImsPdn();
    assert.deepEqual(pdn, PDN);
    assert.deepEqual(d.pdn, PDN);
    assert.deepEqual(await d.activateImsPdn(), PDN, 'a second activation reports the same PDN');
    await d.setImsVoiceAvailable(true);
    // no modem RTP: the media hooks accept and record the AP's sessions
    const session = { callId: 'c1', localAddress: '10.45.0.2', localPort: 50000, remoteAddress: '10.45.0.77', remotePort: 40000, codec: { name: 'AMR-WB', clockRate: 16000, payloadType: 97 }, ptime: 20, direction: 'sendrecv' as const };
    await d.startMedia(session);
    await d.updateMedia({ ...session, direction: 'sendonly' });
    await d.sendTones('c1', '12#');
    await d.stopMedia('c1');
    await d.stopMedia('c1');
    await assert.rejects(d.updateMedia(session), ModemDriverError);
    assert.deepEqual(d.mediaLog.map((m) => m.op), ['start', 'update', 'tones', 'stop']);
    // the hand-off is logged at debug level, once per request that took effect
    assert.match(logged, /startMedia callId=c1 local=10\.45\.0\.2:50000 remote=10\.45\.0\.77:40000 codec="?AMR-WB\/16000 pt 97"? direction=sendrecv/);
    assert.match(logged, /updateMedia callId=c1 .*direction=sendonly/);
    assert.equal(logged.match(/stopMedia callId=c1/g)?.length, 1, logged);
    await d.deactivateImsPdn();
    await modem.finished();
    assert.deepEqual(rec.log, ['pdn-up 10.45.0.2,fd00:45::2', 'pdn-down deactivated']);
    assert.equal(d.pdn, undefined);
    assert.equal(d.modemImsRegistered, false);
    assert.deepEqual(modem.mismatches, []);
  });

  it('reports a QCI=1 dedicated bearer up, modified and down around a call, then the PDN lost mid-call', async () => {
    const { modem, d, rec } = await start('bearer.at');
    await d.activateImsPdn();
    modem.cue('call');
    await rec.count(2);
    assert.deepEqual(rec.bearers[0], {
      id: 6, qci: 1, gbrDownlink: 128, gbrUplink: 128, mbrDownlink: 128, mbrUplink: 128,
      filters: [
        { direction: 'bidirectional', remoteAddress: '10.45.0.77', protocol: 17, localPorts: [50000, 50001], remotePorts: [40000, 40001] },
        { direction: 'downlink', remoteAddress: '10.45.0.77', protocol: 17, localPorts: [50000, 50001], remotePorts: [40000, 40001] },
      ],
    });
    modem.cue('modify');
    await rec.count(3);
    assert.equal(rec.bearers[1]!.gbrDownlink, 256);
    assert.equal(rec.bearers[1]!.filters.length, 1);
    modem.cue('hangup');
    await rec.count(4);
    modem.cue('second');
    await rec.count(5);
    assert.deepEqual(rec.bearers[2], { id: 3, qci: 1, gbrDownlink: 128, gbrUplink: 128, mbrDownlink: 128, mbrUplink: 128, filters: [] });
    modem.cue('lose');
    await rec.count(7);
    await modem.finished();
    assert.deepEqual(rec.log, [
      'pdn-up 10.45.0.2,fd00:45::2',
      'bearer-up 6 qci=1',
      'bearer-modified 6 gbr=256',
      'bearer-down 6',
      'bearer-up 3 qci=1',
      'bearer-down 3',
      'pdn-down network deactivated the IMS PDN',
    ]);
    assert.deepEqual(d.bearers, []);
    assert.deepEqual(modem.mismatches, []);
  });

  it('accepts a bearer the network wants acknowledged (<event_type> 1, +CGANS) before reading it', async () => {
    const { modem, d, rec } = await start(`include init.at
include activate.at
cue call
<- +CGEV: NW ACT 1,4,1
-> AT+CGANS=1
<- OK
-> AT+CGSCONTRDP=4
<- +CGSCONTRDP: 4,1,7
<- OK
-> AT+CGEQOSRDP=4
<- +CGEQOSRDP: 4,1,40,40,40,40
<- OK
-> AT+CGTFTRDP=4
<- OK`);
    await d.activateImsPdn();
    modem.cue('call');
    await rec.count(2);
    assert.deepEqual(rec.bearers[0], { id: 7, qci: 1, gbrDownlink: 40, gbrUplink: 40, mbrDownlink: 40, mbrUplink: 40, filters: [] });
    await modem.finished();
    assert.deepEqual(modem.mismatches, []);
  });

  it('rebuilds everything after a modem reset', async () => {
    const { modem, d, rec } = await start('modem-reset.at');
    await d.activateImsPdn();
    modem.cue('reset');
    await rec.count(2);
    assert.equal(rec.log[1], 'modem-reset');
    assert.equal(d.pdn, undefined);
    assert.deepEqual(await d.activateImsPdn(), PDN);
    await modem.finished();
    assert.deepEqual(rec.log, ['pdn-up 10.45.0.2,fd00:45::2', 'modem-reset', 'pdn-up 10.45.0.2,fd00:45::2']);
    assert.deepEqual(modem.mismatches, []);
  });

  it('notices a modem that stops answering (PDN down) and treats its return as a reset', async () => {
    // the keepalive "AT" is answered by a service that the test silences
    let answering = true;
    const keepalive: ModemService = { handle: (cmd) => (cmd !== 'AT' ? undefined : answering ? ['OK'] : []) };
    const { modem, d, rec } = await start('silent.at', { keepaliveMs: 150, keepaliveFailures: 2 }, [keepalive]);
    await d.activateImsPdn();
    answering = false;
    await rec.count(2);
    assert.equal(rec.log[1], 'pdn-down the modem stopped answering');
    answering = true;
    await rec.count(3);
    assert.equal(rec.log[2], 'modem-reset');
    assert.deepEqual(await d.activateImsPdn(), PDN);
    await modem.finished();
    assert.deepEqual(modem.mismatches, []);
  });

  it('reports the PDN down when the device goes away, and a reset once it is back', async () => {
    const first = await ScriptedModem.start('include init.at\ninclude activate.at\ncue gone\nhangup');
    modems.push(first);
    let current = first;
    const d = await AtDriver.open({ channel: () => openSerialChannel({ device: current.device, timeoutMs: 1000 }), interface: 'wwan%d', keepaliveMs: 0, reopenMs: 100 });
    rig.driver = d;
    const rec = new Recorder(d);
    await d.activateImsPdn();
    const second = await ScriptedModem.start('include init.at\ninclude activate.at');
    modems.push(second);
    current = second;
    first.cue('gone');
    await rec.count(3);
    assert.match(rec.log[1]!, /^pdn-down modem device lost/);
    assert.equal(rec.log[2], 'modem-reset');
    assert.deepEqual(await d.activateImsPdn(), PDN);
    await second.finished();
    assert.deepEqual([...first.mismatches, ...second.mismatches], []);
  });

  it('reports a new serving cell (+CEREG URC) as pdn-changed, and ignores the same cell, other states and malformed lines', async () => {
    const sink = new PassThrough();
    let logged = '';
    sink.on('data', (b: Buffer) => (logged += b.toString()));
    // 27.007 10.1.22 URC "+CEREG: <stat>[,<tac>,<ci>[,<AcT>]]" (no <n>); 7.3 +COPS? asked again for the PLMN
    const { modem, d, rec } = await start(`include init.at
include activate.at
cue handover
<- +CEREG: 1,"0001","00019C01",7
-> AT+COPS?
<- +COPS: 0,2,"00101",7
<- OK
cue same
<- +CEREG: 1,"0001","00019C01",7
-> AT+COPS?
<- +COPS: 0,2,"00101",7
<- OK
<- +CEREG: 1,"zz"
<- +CEREG: 2
<- +CEREG: 1,"0001","00019E01",9
-> AT+COPS?
<- +COPS: 0,2,"00101",9
<- OK
<- +CEREG: 5,"00A2","0ABCDEF1",7
-> AT+COPS?
<- +COPS: 0,2,"310410",7
<- OK`, { logger: createLogger({ level: 'debug', stream: sink }) });
    const up = await d.activateImsPdn();
    assert.equal(up.accessNetworkInfo, CELL);
    modem.cue('handover');
    await rec.count(2);
    assert.deepEqual(rec.changed[0], { ...PDN, accessNetworkInfo: '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019C01' });
    // the same cell, a malformed line, searching (<stat> 2), an NB-IoT cell (<AcT> 9): nothing; then a
    // roaming cell of another operator (3-digit MNC): the URCs are handled in order, so the one event
    // that follows is the last one's
    modem.cue('same');
    await rec.count(3);
    await modem.finished();
    assert.deepEqual(rec.log, ['pdn-up 10.45.0.2,fd00:45::2', 'pdn-changed 10.45.0.2,fd00:45::2', 'pdn-changed 10.45.0.2,fd00:45::2']);
    const roaming = { ...PDN, accessNetworkInfo: '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=31041000A2ABCDEF1' };
    assert.deepEqual(rec.changed[1], roaming);
    assert.deepEqual(d.pdn, roaming);
    assert.match(logged, /<4>\[modem\/at\] malformed \+CEREG ignored .*zz/);
    // the cell is in the debug log (TAC and cell id in hex)
    assert.match(logged, /<7>\[modem\/at\] serving cell plmn=00101 stat=1 tac=1 ci=19c01 act=7/);
    // a change is said at info, the location (the new value) only at debug
    assert.equal(logged.match(/^<6>\[modem\/at\] serving cell changed$/gm)?.length, 2, logged);
    assert.match(logged, /^<7>\[modem\/at\] new P-Access-Network-Info .*utran-cell-id-3gpp=0010100010019C01/m);
    assert.doesNotMatch(logged, /^<[0-6]>.*utran-cell-id/m);
    assert.deepEqual(modem.mismatches, []);
  });

  it('brings the PDN up without P-Access-Network-Info when the modem refuses +CEREG=2, and ignores its +CEREG lines', async () => {
    const sink = new PassThrough();
    let logged = '';
    sink.on('data', (b: Buffer) => (logged += b.toString()));
    // nothing after the refusal: no +COPS=3,2, and neither +COPS? nor +CEREG? at PDN up or on a URC
    const { modem, d, rec } = await start(`-> ATE0
<- OK
-> AT+CMEE=1
<- OK
-> AT+CGEREP=2,1
<- OK
-> AT+CEVDP=3
<- OK
-> AT+CIREG=2
<- OK
-> AT+CIREG?
<- +CIREG: 2,0
<- OK
-> AT+CAVIMS=0
<- OK
-> AT+CEREG=2
<- ERROR
include context.at
cue cell
<- +CEREG: 1,"0001","00019C01",7
<- +CGEV: NW PDN DEACT 1`, { logger: createLogger({ level: 'debug', stream: sink }) });
    const pdn = await d.activateImsPdn();
    assert.deepEqual(pdn, PDN_NO_CELL);
    assert.equal('accessNetworkInfo' in pdn, false);
    modem.cue('cell');
    await rec.count(2);
    await modem.finished();
    assert.deepEqual(rec.log, ['pdn-up 10.45.0.2,fd00:45::2', 'pdn-down network deactivated the IMS PDN']);
    assert.equal(logged.match(/<5>\[modem\/at\] modem refused AT\+CEREG=2/g)?.length, 1, logged);
    assert.doesNotMatch(logged, /^<[0-3]>/m);
    assert.deepEqual(modem.mismatches, []);
  });

  it('works without packet domain events when the modem refuses +CGEREP', async () => {
    const { modem, d } = await start(`-> ATE0
<- OK
-> AT+CMEE=1
<- OK
-> AT+CGEREP=2,1
<- +CME ERROR: 4
-> AT+CEVDP=3
<- ERROR
-> AT+CIREG=2
<- ERROR
-> AT+CAVIMS=0
<- ERROR
-> AT+CEREG=2
<- ERROR
include context.at`);
    assert.equal(d.capabilities.bearerEvents, false);
    assert.deepEqual(await d.activateImsPdn(), PDN_NO_CELL);
    await modem.finished();
    assert.deepEqual(modem.mismatches, []);
  });

  it('turns ERROR, +CME ERROR, timeouts and truncated lines into ModemDriverErrors and recovers', async () => {
    const { modem, d, rec } = await start('errors.at');
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof ModemDriverError && /\+CME ERROR: 30 \(no network service\)/.test(e.message));
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof ModemDriverError && /AT\+CGCONTRDP=1: no final result code/.test(e.message));
    await assert.rejects(d.activateImsPdn(), (e: unknown) => e instanceof ModemDriverError && /unterminated string in "\+CGCONTRDP: 1,5,"ims","10\.45\.0"/.test(e.message));
    const pdn = await d.activateImsPdn();
    assert.deepEqual(pdn, { interface: 'wwan1', addresses: ['10.45.0.2'], pcscf: ['10.45.0.1'], mtu: 1500 });
    await modem.finished();
    assert.deepEqual(rec.log, ['pdn-up 10.45.0.2']);
    assert.deepEqual(modem.mismatches, []);
  });
});
