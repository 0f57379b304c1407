// RegistrationService with sec-agree on loopback: the real SipTransports, transaction layer, user
// agent core and soft SIM (Milenage), a fake IpsecManager that records what it is asked (the host
// kernel has no ESP) and a scripted P-CSCF that plays TS 33.203's part on two port pairs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeResponse, parseAuthorization } from '../../../../../daemon/auth/digest.js';
import { milenage } from '../../../../../daemon/auth/milenage.js';
import { SoftSim } from '../../../../../daemon/auth/sim/soft-sim.js';
import type { InstalledSaSet, IpsecManager, SaSetSpec } from '../../../../../daemon/ipsec/types.js';
import type { RegistrationSnapshot } from '../../../../../daemon/ims/registration/machine.js';
import { FULL_OFFER } from '../../../../../daemon/ims/registration/sec-agree.js';
import { startRegistration, type Registration } from '../../../../../daemon/ims/registration/service.js';
import { Headers } from '../../../../../daemon/sip/headers.js';
import { SipRequest, type SipResponse } from '../../../../../daemon/sip/message.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import type { Received } from '../../../../../daemon/transport/transport.js';
import { SipTransport } from '../../../../../daemon/transport/sip-transport.js';
import { SimulatedDriver } from '../../../../../modem-drivers/simulated/simulated-driver.js';

const K = Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex');
const OPC = Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex');
const IMSI = '001010000000001';
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
const IMPI = `${IMSI}@${DOMAIN}`;
const IMPU = `sip:${IMSI}@${DOMAIN}`;

class FakeIpsec implements IpsecManager {
  readonly installed: SaSetSpec[] = [];
  readonly removed: number[] = [];
  readonly live = new Set<number>();
  /** operations that started while another was still running (the kernel sees them in order only if serialised) */
  overlaps = 0;
  #busy = false;
  #spi = 0x2000;
  #id = 1;
  async #op(): Promise<void> {
    if (this.#busy) this.overlaps += 1;
    this.#busy = true;
    await new Promise((r) => setTimeout(r, 3));
    this.#busy = false;
  }
  async allocateSpis(): Promise<{ spiC: number; spiS: number }> {
    await this.#op();
    this.#spi += 2;
    return { spiC: this.#spi, spiS: this.#spi + 1 };
  }
  async install(spec: SaSetSpec): Promise<InstalledSaSet> {
    await this.#op();
    this.installed.push(spec);
    const set = { id: this.#id++, ue: spec.ue, pcscf: spec.pcscf, integrity: spec.integrity, encryption: spec.encryption };
    this.live.add(set.id);
    return set;
  }
  async remove(set: InstalledSaSet): Promise<void> {
    await this.#op();
    this.removed.push(set.id);
    this.live.delete(set.id);
  }
  async removeStale(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}
}

/** A P-CSCF + S-CSCF stand-in: 401 with Security-Server, 200 to the protected REGISTER, reg event. */
class ScriptedPcscf {
  readonly log: string[] = [];
  readonly protocols: string[] = [];
  readonly notifyAnswers: number[] = [];
  /** every message from the UE with its P-Access-Network-Info ("-" without) */
  readonly accessNetworkInfo: string[] = [];
  sqn = 0;
  xres: Buffer | undefined;
  nonce = '';
  server = '';
  subscribe: { req: SipRequest; from: Received['remote'] } | undefined;
  notifyCseq = 1;
  /** challenge every refresh (a REGISTER with the current nonce again), as Kamailio's S-CSCF does */
  challengeRefreshes = false;

  private constructor(
    readonly unprotected: SipTransport,
    readonly prot: SipTransport,
  ) {
    unprotected.on('message', (m) => this.#onMessage(m, 'unprotected'));
    prot.on('message', (m) => this.#onMessage(m, 'protected'));
  }

  static async open(): Promise<ScriptedPcscf> {
    return new ScriptedPcscf(await SipTransport.open({ localAddress: '127.0.0.1', portS: 0 }), await SipTransport.open({ localAddress: '127.0.0.1', portS: 0, portC: 0 }));
  }

  #reply(t: SipTransport, to: Received, res: SipResponse): void {
    // back where the request came from, on its TCP connection when it came over TCP (RFC 3261 18.2.2)
    void t.send(res, { ...to.remote, protocol: to.protocol }, to.connectionId !== undefined ? { connectionId: to.connectionId } : {});
  }

  #challenge(req: SipRequest): SipResponse {
    // TS 33.102 6.3.2: AUTN = SQN ^ AK || AMF || MAC-A, a fresh SQN every time
    this.sqn += 32;
    const sqn = Buffer.alloc(6);
    sqn.writeUIntBE(this.sqn, 0, 6);
    const rand = Buffer.alloc(16, this.sqn & 0xff);
    const amf = Buffer.from('8000', 'hex');
    const v = milenage(K, OPC, rand, sqn, amf);
    const autn = Buffer.concat([Buffer.from(sqn.map((b, i) => b ^ v.ak[i]!)), amf, v.macA]);
    this.xres = v.res;
    this.nonce = Buffer.concat([rand, autn]).toString('base64');
    const sc = req.headers.getAll('Security-Client')[0]!;
    const p = (n: string): string => new RegExp(`${n}=(\\d+)`).exec(sc)![1]!;
    this.server = `ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=${Number(p('spi-c')) + 0x100};spi-s=${Number(p('spi-s')) + 0x100};port-c=${this.prot.portC};port-s=${this.prot.portS};q=0.1`;
    const res = createResponse(req, 401, { toTag: 'p1' });
    res.headers.append('WWW-Authenticate', `Digest realm="${DOMAIN}", nonce="${this.nonce}", algorithm=AKAv1-MD5, qop="auth"`);
    res.headers.append('Security-Server', this.server);
    return res;
  }

  #onMessage(m: Received, flow: 'unprotected' | 'protected'): void {
    const msg = m.message;
    this.accessNetworkInfo.push(`${msg.isRequest() ? msg.method : `${msg.status} ${msg.cseq.method}`} ${msg.headers.get('P-Access-Network-Info') ?? '-'}`);
    if (!msg.isRequest()) {
      if (msg.cseq.method === 'NOTIFY') this.notifyAnswers.push(msg.status);
      return;
    }
    const t = flow === 'unprotected' ? this.unprotected : this.prot;
    const expires = msg.headers.get('Expires');
    this.log.push(`${flow} ${msg.method} expires=${expires ?? '-'} verify=${msg.headers.has('Security-Verify')}`);
    this.protocols.push(`${flow} ${msg.method} ${m.protocol} from ${m.remote.port}`);
    if (msg.method === 'REGISTER') {
      const auth = parseAuthorization(msg.headers.get('Authorization')!);
      if (flow === 'unprotected' || auth.get('response') === '') return this.#reply(t, m, this.#challenge(msg));
      if (this.challengeRefreshes && auth.get('nc') !== '00000001' && expires !== '0') return this.#reply(t, m, this.#challenge(msg));
      assert.deepEqual(msg.headers.getAll('Security-Verify'), [this.server]);
      const expected = computeResponse({ username: IMPI, realm: DOMAIN, password: this.xres!, method: 'REGISTER', uri: auth.get('uri')!, nonce: this.nonce, qop: 'auth', nc: parseInt(auth.get('nc')!, 16), cnonce: auth.get('cnonce')! });
      if (auth.get('response') !== expected || auth.get('nonce') !== this.nonce) return this.#reply(t, m, createResponse(msg, 403, { toTag: 'p1' }));
      const res = createResponse(msg, 200, { toTag: 'p1' });
      res.headers.append('Contact', `${msg.headers.get('Contact')!.replace(/;expires=\d+/, '')};expires=${expires}`);
      res.headers.append('Service-Route', `<sip:orig@scscf.${DOMAIN}:6060;lr>`);
      res.headers.append('P-Associated-URI', `<${IMPU}>, <sip:+15550001@${DOMAIN}>, <tel:+15550001>`);
      return this.#reply(t, m, res);
    }
    if (msg.method === 'SUBSCRIBE') {
      const res = createResponse(msg, 200, { toTag: 'sub1' });
      res.headers.append('Expires', msg.headers.get('Expires') ?? '600000');
      res.headers.append('Contact', `<sip:127.0.0.1:${this.prot.portS}>`);
      this.#reply(t, m, res);
      if (msg.headers.get('Expires') !== '0') this.subscribe = { req: msg, from: m.remote };
      this.sendNotify('active', 'registered', 'active', 0);
    }
  }

  /** a reg-event NOTIFY from port-c to the UE's contact (port-s), TS 33.203 7.1 */
  sendNotify(regState: string, event: string, contactState: string, version: number): void {
    const s = this.subscribe!;
    const contact = /<([^>]+)>/.exec(s.req.headers.get('Contact')!)![1]!;
    const port = Number(/:(\d+)$/.exec(contact)![1]);
    const body =
      `<?xml version="1.0"?><reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="${version}" state="full">` +
      `<registration aor="${IMPU}" id="a" state="${regState}"><contact id="c" state="${contactState}" event="${event}"><uri>${contact}</uri></contact></registration>` +
      `<registration aor="tel:+15550001" id="b" state="${regState}"><contact id="d" state="${contactState}" event="${event}"><uri>${contact}</uri></contact></registration></reginfo>`;
    const h = new Headers();
    h.append('Via', `SIP/2.0/UDP 127.0.0.1:${this.prot.portC};branch=z9hG4bKn${this.notifyCseq}${Date.now()}`);
    h.append('Max-Forwards', 70);
    h.append('From', `${s.req.headers.get('To')!};tag=sub1`);
    h.append('To', s.req.headers.get('From')!);
    h.append('Call-ID', s.req.callId);
    h.append('CSeq', `${this.notifyCseq++} NOTIFY`);
    h.append('Contact', `<sip:127.0.0.1:${this.prot.portS}>`);
    h.append('Event', 'reg');
    h.append('Subscription-State', 'active;expires=600000');
    h.append('Content-Type', 'application/reginfo+xml');
    const n = new SipRequest('NOTIFY', parseUri(contact), h, body);
    void this.prot.send(n, { address: '127.0.0.1', port, protocol: 'udp' }, { fromClientPort: true });
  }

  async close(): Promise<void> {
    await this.unprotected.close();
    await this.prot.close();
  }
}

async function until(reg: Registration, pred: (s: RegistrationSnapshot) => boolean, what: string, ms = 5000): Promise<RegistrationSnapshot> {
  if (pred(reg.snapshot)) return reg.snapshot;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not ${what} within ${ms} ms: ${JSON.stringify(reg.snapshot)}`)), ms);
    const on = (s: RegistrationSnapshot): void => {
      if (pred(s)) {
        clearTimeout(t);
        reg.events.off('state', on);
        resolve(s);
      }
    };
    reg.events.on('state', on);
  });
}

describe('ims/registration RegistrationService with sec-agree (loopback, scripted P-CSCF)', function () {
  this.timeout(20000);
  let dir: string;
  let pcscf: ScriptedPcscf;
  let ipsec: FakeIpsec;
  let sim: SoftSim;
  let driver: SimulatedDriver;
  let reg: Registration | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imsdt-regsvc-'));
    pcscf = await ScriptedPcscf.open();
    ipsec = new FakeIpsec();
    sim = await SoftSim.open({ imsi: IMSI, mncLength: 2, k: K.toString('hex'), opc: OPC.toString('hex'), stateFile: join(dir, 'sqn.json') });
    driver = new SimulatedDriver({ interface: 'lo', addresses: ['127.0.0.1'], pcscf: ['127.0.0.1'] });
  });

  afterEach(async () => {
    await reg?.stop(2000);
    reg = undefined;
    await pcscf.close();
    await sim.close();
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers over the SAs it asked for, follows the reg event, and de-registers then removes every SA', async () => {
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0, timers: { T1: 100 } });
    const s = await until(reg, (x) => x.state === 'registered', 'registered');
    assert.deepEqual(s.secAgree, { alg: 'hmac-sha-1-96', ealg: 'null' });
    assert.equal(s.defaultImpu, IMPU);
    assert.deepEqual(pcscf.log.slice(0, 2), ['unprotected REGISTER expires=600000 verify=false', 'protected REGISTER expires=600000 verify=true']);
    const spec = ipsec.installed[0]!;
    assert.equal(spec.pcscf.portC, pcscf.prot.portC);
    assert.equal(spec.pcscf.portS, pcscf.prot.portS);
    assert.equal(spec.ue.address, '127.0.0.1');
    assert.notEqual(spec.ue.portC, spec.ue.portS);
    const v = milenage(K, OPC, Buffer.alloc(16, 32), Buffer.from('000000000020', 'hex'), Buffer.from('8000', 'hex'));
    assert.ok(spec.ik.equals(v.ik) && spec.ck.equals(v.ck), 'IK/CK from the SIM');
    // the first NOTIFY (over port-c → port-s) narrows the IMPUs to those it lists
    await until(reg, (x) => x.impus.length === 2, 'updated by the NOTIFY');
    assert.deepEqual(reg.snapshot.impus, [IMPU, 'tel:+15550001']);
    for (let i = 0; i < 50 && pcscf.notifyAnswers.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(pcscf.notifyAnswers, [200], 'the NOTIFY answered back to port-c');
    assert.match(pcscf.log[2]!, /^protected SUBSCRIBE expires=600000 verify=true$/);
    // the network deactivates the contact: a new initial registration with new SAs, the old ones gone
    pcscf.sendNotify('terminated', 'deactivated', 'terminated', 1);
    await until(reg, (x) => x.state === 'registering', 'registering again');
    await until(reg, (x) => x.state === 'registered', 'registered again');
    assert.equal(ipsec.installed.length, 2);
    assert.deepEqual([...ipsec.live], [2]);
    await reg.stop(2000);
    assert.equal(reg.snapshot.state, 'deregistered');
    assert.ok(pcscf.log.some((l) => l === 'protected REGISTER expires=0 verify=true'), pcscf.log.join('\n'));
    assert.deepEqual([...ipsec.live], [], 'every SA set removed');
    assert.equal(ipsec.overlaps, 0, 'one IPsec operation at a time');
    // the UE's sockets are closed: its ports can be bound again
    const again = await SipTransport.open({ localAddress: '127.0.0.1', portS: spec.ue.portS, portC: spec.ue.portC });
    await again.close();
  });

  it('P-Access-Network-Info: the driver\'s cell on REGISTER, SUBSCRIBE and the NOTIFY\'s 200; a new cell keeps the registration and goes on the next messages (TS 24.229 5.1.2A.1.1)', async () => {
    const cellA = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B';
    const cellB = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=00101002A0000C01';
    driver.changePdn({ accessNetworkInfo: cellA });
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0, timers: { T1: 100 } });
    await until(reg, (x) => x.state === 'registered', 'registered');
    for (let i = 0; i < 50 && pcscf.notifyAnswers.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(pcscf.accessNetworkInfo, ['REGISTER', 'REGISTER', 'SUBSCRIBE', '200 NOTIFY'].map((m) => `${m} ${cellA}`));
    const registers = pcscf.log.length;
    driver.changePdn({ accessNetworkInfo: cellB });
    await new Promise((r) => setTimeout(r, 100));
    pcscf.sendNotify('active', 'registered', 'active', 1);
    for (let i = 0; i < 50 && pcscf.notifyAnswers.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(reg.snapshot.state, 'registered');
    assert.equal(pcscf.log.length, registers, 'no new REGISTER or SUBSCRIBE for a new cell');
    assert.equal(pcscf.accessNetworkInfo.at(-1), `200 NOTIFY ${cellB}`);
    await reg.stop(2000);
    assert.ok(pcscf.accessNetworkInfo.includes(`REGISTER ${cellB}`), `the de-REGISTER says the new cell: ${pcscf.accessNetworkInfo.join(' | ')}`);
  });

  it('re-authentication keeps the UserAgentCore: a new SA set on a new port-c carries the answer, then every request; the old set and its port go after the grace (TS 33.203 7.4)', async () => {
    pcscf.challengeRefreshes = true;
    // 4 s granted: the refresh at 2 s is challenged
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0, expires: 4, oldSaSetGraceMs: 300, timers: { T1: 100 } });
    await until(reg, (x) => x.state === 'registered', 'registered');
    const core = reg.sip!.core;
    const first = ipsec.installed[0]!.ue;
    const sendOptions = (): void => {
      const h = new Headers();
      h.append('Max-Forwards', 70);
      h.append('From', `<${IMPU}>;tag=o${Date.now()}`);
      h.append('To', '<sip:127.0.0.1>');
      h.append('Call-ID', `options-${Date.now()}@127.0.0.1`);
      h.append('CSeq', '1 OPTIONS');
      reg!.sip!.core.sendRequest(new SipRequest('OPTIONS', parseUri('sip:127.0.0.1'), h, ''), {});
    };
    sendOptions();
    await until(reg, (x) => x.state === 'reregistering', 'reregistering', 4000);
    await until(reg, (x) => x.state === 'registered', 'registered again');
    assert.equal(ipsec.installed.length, 2);
    const second = ipsec.installed[1]!.ue;
    assert.equal(second.portS, first.portS, 'port-s (Contact, Via) stays');
    assert.notEqual(second.portC, first.portC, 'a new port-c');
    assert.notEqual(second.spiC, first.spiC);
    assert.deepEqual([...ipsec.live], [1, 2], 'the old set stays for its grace');
    sendOptions();
    await new Promise((r) => setTimeout(r, 100));
    const from = (method: string): string[] => pcscf.protocols.filter((l) => l.startsWith(`protected ${method} `)).map((l) => l.split(' from ')[1]!);
    // the refresh over the old set, the answer to its challenge over the new one
    assert.deepEqual(from('REGISTER'), [first.portC, first.portC, second.portC].map(String), pcscf.protocols.join('\n'));
    // (the unanswered first OPTIONS is retransmitted from where it began, RFC 3261 17.1.2.2)
    assert.deepEqual([...new Set(from('OPTIONS'))], [first.portC, second.portC].map(String), 'the core\'s new requests move to the new set after the 200');
    assert.strictEqual(reg.sip!.core, core, 'the same UserAgentCore (and its dialogs) for the whole session');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual([...ipsec.live], [2], 'the old set gone after its grace');
    // its client port closed: it can be bound again
    const probe = await SipTransport.open({ localAddress: '127.0.0.1', portS: first.portC });
    await probe.close();
  });

  it('with every algorithm pair offered, the protected REGISTER outgrows 1300 bytes and goes over TCP from port-c (RFC 3261 18.1.1)', async () => {
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0, offer: [...FULL_OFFER] });
    await until(reg, (x) => x.state === 'registered', 'registered');
    assert.equal(ipsec.installed[0]!.integrity, 'hmac-sha-1-96');
    assert.equal(pcscf.protocols[1], `protected REGISTER tcp from ${ipsec.installed[0]!.ue.portC}`);
  });

  it('a session that cannot start (its port taken) fails with a retry time, and starts once the port is free', async () => {
    const squatter = await SipTransport.open({ localAddress: '127.0.0.1', portS: 0 });
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: squatter.portS, backoff: { baseSeconds: 0.05, maxSeconds: 0.1 } });
    const f = await until(reg, (x) => x.state === 'failed', 'failed');
    assert.equal(f.lastFailure?.kind, 'network');
    assert.match(f.lastFailure!.reason, /EADDRINUSE/);
    assert.ok(f.lastFailure!.retryInMs! <= 100);
    await squatter.close();
    await until(reg, (x) => x.state === 'registered', 'registered after the retry');
  });

  it('an IMS PDN the driver refuses at start is a failed state with a retry time, then asked for again until it comes up', async () => {
    let refusals = 2;
    const activate = driver.activateImsPdn.bind(driver);
    driver.activateImsPdn = async () => {
      if (refusals > 0) {
        refusals -= 1;
        throw new Error('not attached');
      }
      return activate();
    };
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0, backoff: { baseSeconds: 0.05, maxSeconds: 0.1 } });
    const f = await until(reg, (x) => x.state === 'failed', 'failed');
    assert.match(f.lastFailure!.reason, /IMS PDN could not be activated: not attached/);
    assert.ok(f.lastFailure!.retryInMs! <= 100);
    await until(reg, (x) => x.state === 'registered', 'registered once the PDN comes up');
    assert.equal(refusals, 0);
  });

  it('deregister() holds across PDN changes until register()', async () => {
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0 });
    await until(reg, (x) => x.state === 'registered', 'registered');
    await reg.deregister();
    assert.equal(reg.snapshot.state, 'deregistered');
    assert.deepEqual([...ipsec.live], []);
    driver.losePdn('test');
    await driver.activateImsPdn();
    await new Promise((r) => setTimeout(r, 200));
    assert.notEqual(reg.snapshot.state, 'registered');
    assert.equal(ipsec.installed.length, 1, 'no registration while held');
    await reg.register();
    await until(reg, (x) => x.state === 'registered', 'registered on request');
    assert.equal(ipsec.installed.length, 2);
  });

  it('a P-CSCF that sends 401 without Security-Server: typed failure, back-off, no SA installed', async () => {
    pcscf.unprotected.removeAllListeners('message');
    pcscf.unprotected.on('message', (m) => {
      if (!m.message.isRequest()) return;
      const res = createResponse(m.message, 401, { toTag: 'x' });
      res.headers.append('WWW-Authenticate', `Digest realm="${DOMAIN}", nonce="${Buffer.alloc(32).toString('base64')}", algorithm=AKAv1-MD5`);
      void pcscf.unprotected.send(res, { ...m.remote, protocol: m.protocol }, m.connectionId !== undefined ? { connectionId: m.connectionId } : {});
    });
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0 });
    const s = await until(reg, (x) => x.state === 'backoff', 'backing off');
    assert.equal(s.lastFailure?.kind, 'sec-agree');
    assert.equal(s.lastFailure?.status, 401);
    assert.equal(ipsec.installed.length, 0);
  });

  it('PDN loss removes the SAs and closes the sockets; the PDN back, or a modem reset, brings a new registration', async () => {
    reg = await startRegistration({ driver, sim, ipsec, pcscfPort: pcscf.unprotected.portS, localPort: 0 });
    await until(reg, (x) => x.state === 'registered', 'registered');
    driver.losePdn('test');
    await until(reg, (x) => x.state === 'idle', 'idle');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...ipsec.live], []);
    await driver.activateImsPdn();
    await until(reg, (x) => x.state === 'registered', 'registered again');
    assert.equal(ipsec.installed.length, 2);
    // a modem reset: the service asks for the PDN again and registers a third time
    driver.reset();
    await until(reg, (x) => x.state === 'idle', 'idle after the reset');
    await until(reg, (x) => x.state === 'registered', 'registered after the reset');
    assert.equal(ipsec.installed.length, 3);
    assert.deepEqual([...ipsec.live], [3]);
  });
});
