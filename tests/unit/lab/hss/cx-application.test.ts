import { strict as assert } from 'node:assert';
import { milenage } from '../../../../daemon/auth/milenage.js';
import { findAllAvps, findAvp, readGrouped, readUnsigned32, readUtf8, unsigned32Avp, utf8Avp, groupedAvp, octetAvp } from '../../../../lab/diameter/avp.js';
import { decodeMessage, encodeMessage } from '../../../../lab/diameter/codec.js';
import { BaseAvp, CxAvp, baseKey, cx } from '../../../../lab/diameter/dictionary.js';
import type { Avp, DiameterMessage } from '../../../../lab/diameter/message.js';
import { CxApplication, type SubscriberDirectory } from '../../../../lab/hss/cx-application.js';
import { nextSqn } from '../../../../lab/hss/sqn.js';
import { subscriberFromEntry, type Subscriber } from '../../../../lab/hss/subscriber.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
const local = {
  originHost: `hss.${DOMAIN}`, originRealm: DOMAIN, hostIpAddresses: ['127.0.0.1'], vendorId: 0,
  productName: 'test', authApplications: [{ vendorId: 10415, applicationId: 16777216 }], supportedVendorIds: [10415],
};

// TS 35.208 test set 1
const TS1 = {
  k: '465b5ce8b199b49faa5f0a2ee238a6bc', opc: 'cd63cb71954a9f4e48a5994e37a02baf', amf: 'b9b9',
  rand: '23553cbe9637a89d218ae64dae47bf35', sqn: 'ff9bb4d0b607',
  xres: 'a54211d5e3ba50bf', ck: 'b40ba9a3c58b2a05bbf0d987b21bf8cb', ik: 'f769bcd751044604127672711c6d3441',
  ak: 'aa689c648370', macA: '4a9ffac354dfafb3',
};

class MemoryDirectory implements SubscriberDirectory {
  readonly sqnWrites: [string, bigint][] = [];
  constructor(readonly subs: Subscriber[]) {}
  byImpi(impi: string): Subscriber | undefined { return this.subs.find((s) => s.impi === impi); }
  byImpu(impu: string): Subscriber | undefined { return this.subs.find((s) => s.impus.includes(impu)); }
  setSqn(imsi: string, sqn: bigint): void {
    this.sqnWrites.push([imsi, sqn]);
    this.subs.find((s) => s.imsi === imsi)!.sqn = sqn;
  }
}

function subscriber(imsi: string, sqn: string, amf = TS1.amf): Subscriber {
  return subscriberFromEntry({ imsi, k: TS1.k, opc: TS1.opc, amf, sqn, msisdn: '+15550001' }, 0, DOMAIN);
}

function request(commandCode: number, avps: Avp[]): DiameterMessage {
  const msg: DiameterMessage = {
    commandCode, applicationId: 16777216, request: true, proxiable: true, error: false, hopByHop: 11, endToEnd: 22,
    avps: [utf8Avp(baseKey(BaseAvp.SessionId), 'scscf;1;1'), ...avps],
  };
  return decodeMessage(encodeMessage(msg)); // what the server would hand over
}

function mar(impi: string, impu: string, authorization?: Buffer, items = 1): DiameterMessage {
  const item: Avp[] = [utf8Avp(cx(CxAvp.SipAuthenticationScheme), 'Digest-AKAv1-MD5')];
  if (authorization) item.push(octetAvp(cx(CxAvp.SipAuthorization), authorization));
  return request(303, [
    utf8Avp(baseKey(BaseAvp.UserName), impi), utf8Avp(cx(CxAvp.PublicIdentity), impu),
    unsigned32Avp(cx(CxAvp.SipNumberAuthItems), items), groupedAvp(cx(CxAvp.SipAuthDataItem), item),
    utf8Avp(cx(CxAvp.ServerName), `sip:scscf.${DOMAIN}:6060`),
  ]);
}

function sar(impi: string, impu: string, type: number): DiameterMessage {
  return request(301, [
    utf8Avp(baseKey(BaseAvp.UserName), impi), utf8Avp(cx(CxAvp.PublicIdentity), impu),
    utf8Avp(cx(CxAvp.ServerName), `sip:scscf.${DOMAIN}:6060`), unsigned32Avp(cx(CxAvp.ServerAssignmentType), type),
    unsigned32Avp(cx(CxAvp.UserDataAlreadyAvailable), 0),
  ]);
}

function roundTrip(msg: DiameterMessage): DiameterMessage {
  return decodeMessage(encodeMessage(msg));
}

function resultCode(answer: DiameterMessage): number | undefined {
  const rc = findAvp(answer.avps, baseKey(BaseAvp.ResultCode));
  return rc ? readUnsigned32(rc) : undefined;
}

function experimentalCode(answer: DiameterMessage): number | undefined {
  const er = findAvp(answer.avps, baseKey(BaseAvp.ExperimentalResult));
  if (!er) return undefined;
  return readUnsigned32(findAvp(readGrouped(er), baseKey(BaseAvp.ExperimentalResultCode))!);
}

function vectors(answer: DiameterMessage): Record<string, Buffer | number>[] {
  return findAllAvps(answer.avps, cx(CxAvp.SipAuthDataItem)).map((item) => {
    const g = readGrouped(item);
    const get = (code: number): Buffer => findAvp(g, cx(code))!.data;
    return {
      item: readUnsigned32(findAvp(g, cx(CxAvp.SipItemNumber))!),
      scheme: get(CxAvp.SipAuthenticationScheme),
      authenticate: get(CxAvp.SipAuthenticate), authorization: get(CxAvp.SipAuthorization),
      ck: get(CxAvp.ConfidentialityKey), ik: get(CxAvp.IntegrityKey),
    };
  });
}

describe('lab/hss Cx application (TS 29.228/29.229)', () => {
  it('MAA carries the TS 35.208 test set 1 vector (RAND/SQN injected)', () => {
    const sub = subscriber('001010000000001', '000000000000');
    const app = new CxApplication({ local, directory: new MemoryDirectory([sub]), randomBytes: () => h(TS1.rand), nextSqn: () => BigInt(`0x${TS1.sqn}`) });
    const { answer } = app.handle(mar(sub.impi, sub.impus[0]!));
    const maa = roundTrip(answer);
    assert.equal(maa.request, false);
    assert.equal(maa.hopByHop, 11);
    assert.equal(maa.endToEnd, 22);
    assert.equal(maa.avps[0]!.code, BaseAvp.SessionId, 'Session-Id first');
    assert.equal(resultCode(maa), 2001);
    assert.equal(readUtf8(findAvp(maa.avps, baseKey(BaseAvp.UserName))!), sub.impi);
    assert.equal(readUtf8(findAvp(maa.avps, cx(CxAvp.PublicIdentity))!), sub.impus[0]);
    assert.equal(readUnsigned32(findAvp(maa.avps, cx(CxAvp.SipNumberAuthItems))!), 1);
    const [v] = vectors(maa);
    assert.equal(v!.item, 1);
    assert.equal(v!.scheme!.toString(), 'Digest-AKAv1-MD5');
    // SIP-Authenticate = RAND || AUTN, AUTN = SQN xor AK || AMF || MAC-A (TS 33.102 6.3.2)
    const sqnXorAk = Buffer.from(h(TS1.sqn).map((b, i) => b ^ h(TS1.ak)[i]!));
    assert.equal((v!.authenticate as Buffer).toString('hex'), TS1.rand + sqnXorAk.toString('hex') + TS1.amf + TS1.macA);
    assert.equal((v!.authorization as Buffer).toString('hex'), TS1.xres);
    assert.equal((v!.ck as Buffer).toString('hex'), TS1.ck);
    assert.equal((v!.ik as Buffer).toString('hex'), TS1.ik);
    // every 3GPP AVP carries the vendor flag and M bit
    for (const avp of readGrouped(findAvp(maa.avps, cx(CxAvp.SipAuthDataItem))!)) {
      assert.equal(avp.vendorId, 10415);
      assert.equal(avp.mandatory, true);
    }
  });

  it('increments SQN per vector (TS 33.102 C.3.2: SEQ+1, IND cycles) and records it', () => {
    const sub = subscriber('001010000000001', '00000000003f'); // SEQ 1, IND 31
    const dir = new MemoryDirectory([sub]);
    let n = 0;
    const app = new CxApplication({ local, directory: dir, randomBytes: () => Buffer.alloc(16, ++n), nextSqn });
    const maa = app.handle(mar(sub.impi, sub.impus[1]!, undefined, 3)).answer;
    const vs = vectors(maa);
    assert.equal(vs.length, 3);
    const sqns = vs.map((v) => {
      const auth = v.authenticate as Buffer;
      const ak = milenage(sub.k, sub.opc, auth.subarray(0, 16), Buffer.alloc(6), sub.amf).ak;
      return Buffer.from(auth.subarray(16, 22).map((b, i) => b ^ ak[i]!)).toString('hex');
    });
    // 0x3f = SEQ 1 IND 31 -> SEQ 2 IND 0 (0x40), SEQ 3 IND 1 (0x61), SEQ 4 IND 2 (0x82)
    assert.deepEqual(sqns, ['000000000040', '000000000061', '000000000082']);
    assert.deepEqual(dir.sqnWrites, [['001010000000001', 0x82n]]);
    assert.equal(nextSqn(0n), 0x21n);
  });

  it('resync: RAND||AUTS from the UE yields a fresh vector after SQN_MS (TS 33.102 6.3.5)', () => {
    const sub = subscriber('001010000000002', '000000000400', '8000');
    const dir = new MemoryDirectory([sub]);
    const freshRand = h('00112233445566778899aabbccddeeff');
    const app = new CxApplication({ local, directory: dir, randomBytes: () => freshRand, nextSqn });
    // UE side, computed here from f1*/f5*: AUTS = SQN_MS xor AK*(RAND) || MAC-S(SQN_MS, RAND, AMF 0000)
    const rejectedRand = h('0f0e0d0c0b0a09080706050403020100');
    const sqnMs = h('00000001f3e7'); // SEQ 0xf9f IND 7: ahead of the HSS
    const ue = milenage(sub.k, sub.opc, rejectedRand, sqnMs, Buffer.alloc(2));
    const auts = Buffer.concat([Buffer.from(sqnMs.map((b, i) => b ^ ue.akStar[i]!)), ue.macS]);
    const maa = roundTrip(app.handle(mar(sub.impi, sub.impus[0]!, Buffer.concat([rejectedRand, auts]))).answer);
    assert.equal(resultCode(maa), 2001);
    const [v] = vectors(maa);
    const auth = v!.authenticate as Buffer;
    assert.deepEqual(auth.subarray(0, 16), freshRand);
    // UE side again: recover SQN from AUTN, check MAC-A, check freshness against SQN_MS
    const ueAk = milenage(sub.k, sub.opc, freshRand, Buffer.alloc(6), sub.amf).ak;
    const sqn = Buffer.from(auth.subarray(16, 22).map((b, i) => b ^ ueAk[i]!));
    assert.equal(sqn.toString('hex'), '00000001f408', 'SEQ_MS + 1, IND + 1');
    const check = milenage(sub.k, sub.opc, freshRand, sqn, auth.subarray(22, 24));
    assert.deepEqual(auth.subarray(24, 32), check.macA);
    assert.deepEqual(v!.authorization, check.res);
    assert.deepEqual(dir.sqnWrites, [['001010000000002', 0x1f408n]]);
  });

  it('resync with a wrong MAC-S is rejected (5003) and SQN stays', () => {
    const sub = subscriber('001010000000002', '000000000400', '8000');
    const dir = new MemoryDirectory([sub]);
    const app = new CxApplication({ local, directory: dir, randomBytes: () => Buffer.alloc(16), nextSqn });
    const answer = app.handle(mar(sub.impi, sub.impus[0]!, Buffer.alloc(30, 1)));
    assert.equal(resultCode(answer.answer), 5003);
    assert.match(answer.detail!, /mac-s-mismatch/);
    assert.equal(vectors(answer.answer).length, 0);
    assert.deepEqual(dir.sqnWrites, []);
    assert.equal(resultCode(app.handle(mar(sub.impi, sub.impus[0]!, Buffer.alloc(29))).answer), 5003);
  });

  it('unknown IMPI -> 5001, IMPU of another user -> 5002, unsupported scheme -> 5006', () => {
    const sub = subscriber('001010000000001', '0');
    const app = new CxApplication({ local, directory: new MemoryDirectory([sub]), randomBytes: () => Buffer.alloc(16), nextSqn });
    assert.equal(experimentalCode(app.handle(mar(`999@${DOMAIN}`, sub.impus[0]!)).answer), 5001);
    assert.equal(experimentalCode(app.handle(mar(sub.impi, `sip:other@${DOMAIN}`)).answer), 5002);
    const md5 = request(303, [
      utf8Avp(baseKey(BaseAvp.UserName), sub.impi), utf8Avp(cx(CxAvp.PublicIdentity), sub.impus[0]!),
      groupedAvp(cx(CxAvp.SipAuthDataItem), [utf8Avp(cx(CxAvp.SipAuthenticationScheme), 'SIP Digest')]),
    ]);
    assert.equal(experimentalCode(app.handle(md5).answer), 5006);
  });

  it('SAR REGISTRATION returns User-Name and IMSSubscription with every IMPU; deregistration drops the assignment', () => {
    const sub = subscriber('001010000000003', '0');
    const app = new CxApplication({ local, directory: new MemoryDirectory([sub]), randomBytes: () => Buffer.alloc(16), nextSqn });
    const saa = roundTrip(app.handle(sar(sub.impi, sub.impus[0]!, 1)).answer);
    assert.equal(resultCode(saa), 2001);
    assert.equal(readUtf8(findAvp(saa.avps, baseKey(BaseAvp.UserName))!), sub.impi);
    const xml = readUtf8(findAvp(saa.avps, cx(CxAvp.UserData))!);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?><IMSSubscription>/);
    assert.ok(xml.includes(`<PrivateID>001010000000003@${DOMAIN}</PrivateID>`));
    for (const impu of [`sip:001010000000003@${DOMAIN}`, `sip:+15550001@${DOMAIN}`, 'tel:+15550001']) {
      assert.ok(xml.includes(`<Identity>${impu}</Identity>`), impu);
    }
    assert.deepEqual(app.registrationOf(sub.impi), { serverName: `sip:scscf.${DOMAIN}:6060`, registered: true });
    const dereg = roundTrip(app.handle(sar(sub.impi, sub.impus[0]!, 5)).answer);
    assert.equal(resultCode(dereg), 2001);
    assert.equal(findAvp(dereg.avps, cx(CxAvp.UserData)), undefined);
    assert.equal(app.registrationOf(sub.impi), undefined);
    const unreg = app.handle(sar(sub.impi, 'tel:+15550001', 3)).answer;
    assert.equal(resultCode(unreg), 2001);
    assert.ok(findAvp(unreg.avps, cx(CxAvp.UserData)));
    assert.deepEqual(app.registrationOf(sub.impi)?.registered, false);
    assert.equal(experimentalCode(app.handle(sar(sub.impi, sub.impus[0]!, 99)).answer), 5007);
  });

  it('a MAR without User-Name raises a DiameterAvpError (answered 5005 by the server)', () => {
    const app = new CxApplication({ local, directory: new MemoryDirectory([]), randomBytes: () => Buffer.alloc(16), nextSqn });
    assert.throws(() => app.handle(request(303, [utf8Avp(cx(CxAvp.PublicIdentity), 'sip:x@y')])), /missing User-Name/);
  });

  it('answers UAR with 3001 and the E bit (no I-CSCF in the lab)', () => {
    const app = new CxApplication({ local, directory: new MemoryDirectory([]), randomBytes: () => Buffer.alloc(16), nextSqn });
    const answer = app.handle(request(300, [])).answer;
    assert.equal(resultCode(answer), 3001);
    assert.equal(answer.error, true);
  });
});
