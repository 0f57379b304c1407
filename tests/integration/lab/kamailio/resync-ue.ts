// A scripted IMS UE for the S-CSCF integration test, run inside the test's netns as
// `node --import tsx resync-ue.ts` (the mocha process cannot open sockets there). It plays a USIM
// whose SQN is ahead of the HSS: REGISTER -> 401, answers with auts= (RFC 3310 3.4, TS 33.102
// 6.3.3), expects a fresh 401 from the resynchronised HSS, then REGISTERs with RES -> 200.
// Input (env): UE_K, UE_OPC (hex), UE_IMSI, UE_DOMAIN, UE_SCSCF (ip:port), UE_SQN_AHEAD (hex).
// Output: one JSON line on stdout with the SQNs seen (never keys, RES or CK/IK).
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { milenage } from '../../../../daemon/auth/milenage.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} not set`);
  return v;
};
const k = Buffer.from(env('UE_K'), 'hex');
const opc = Buffer.from(env('UE_OPC'), 'hex');
const imsi = env('UE_IMSI');
const domain = env('UE_DOMAIN');
const [scscfIp, scscfPort] = env('UE_SCSCF').split(':') as [string, string];
const ahead = BigInt(`0x${env('UE_SQN_AHEAD')}`);
const impi = `${imsi}@${domain}`;
const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');
const hex6 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(12, '0'), 'hex');

const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
const localPort = sock.address().port;
const callId = `${randomBytes(6).toString('hex')}@127.0.0.1`;
const fromTag = randomBytes(4).toString('hex');
let cseq = 0;

function register(authorization: string): Promise<string> {
  cseq++;
  const msg = [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};rport;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    'Max-Forwards: 70',
    `From: <sip:${impi}>;tag=${fromTag}`,
    `To: <sip:${impi}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${imsi}@127.0.0.1:${localPort}>;expires=600`,
    `Authorization: ${authorization}`,
    'Expires: 600',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no final answer to CSeq ${cseq}`)), 5000);
    const onMessage = (data: Buffer): void => {
      const text = data.toString('latin1');
      if (!new RegExp(`^CSeq: ${cseq} REGISTER`, 'mi').test(text) || /^SIP\/2\.0 1\d\d/.test(text)) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve(text);
    };
    sock.on('message', onMessage);
    sock.send(msg, Number(scscfPort), scscfIp);
  });
}

function status(text: string): number {
  return Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
}

/** RFC 2617 3.2.2 response with qop=auth; RFC 3310 3.2: the password is RES (or empty for a resync). */
function digest(nonce: string, password: Buffer, extra = ''): string {
  const realm = domain;
  const uri = `sip:${domain}`;
  const cnonce = randomBytes(4).toString('hex');
  const nc = '00000001';
  const ha1 = md5(Buffer.concat([Buffer.from(`${impi}:${realm}:`), password]));
  const ha2 = md5(`REGISTER:${uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${impi}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=AKAv1-MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"${extra}`;
}

/** USIM side of TS 33.102 6.3.3: AK, SQN, MAC-A check. */
function usim(nonce: string): { rand: Buffer; sqn: bigint; res: Buffer; macOk: boolean } {
  const raw = Buffer.from(nonce, 'base64');
  const rand = raw.subarray(0, 16);
  const autn = raw.subarray(16, 32);
  const { ak } = milenage(k, opc, rand, Buffer.alloc(6), Buffer.alloc(2));
  const sqnBytes = Buffer.from(autn.subarray(0, 6).map((b, i) => b ^ ak[i]!));
  const out = milenage(k, opc, rand, sqnBytes, autn.subarray(6, 8));
  return { rand, sqn: BigInt(`0x${sqnBytes.toString('hex')}`), res: out.res, macOk: out.macA.equals(autn.subarray(8, 16)) };
}

const nonceOf = (text: string): string => /WWW-Authenticate: Digest [^\r\n]*nonce="([^"]+)"/i.exec(text)?.[1] ?? '';
const result: Record<string, unknown> = {};
try {
  const first = await register(`Digest username="${impi}", realm="${domain}", nonce="", uri="sip:${domain}", response=""`);
  result.first = status(first);
  const c1 = usim(nonceOf(first));
  result.firstMacOk = c1.macOk;
  result.sqnHe = c1.sqn.toString(16).padStart(12, '0');
  // the USIM has seen a higher SQN: synchronisation failure, AUTS = SQN_MS xor AK* || MAC-S (AMF* = 0)
  const sqnMs = c1.sqn + ahead;
  result.sqnMs = sqnMs.toString(16).padStart(12, '0');
  const star = milenage(k, opc, c1.rand, hex6(sqnMs), Buffer.alloc(2));
  const auts = Buffer.concat([Buffer.from(hex6(sqnMs).map((b, i) => b ^ star.akStar[i]!)), star.macS]);
  const second = await register(digest(nonceOf(first), Buffer.alloc(0), `, auts="${auts.toString('base64')}"`));
  result.second = status(second);
  const c2 = usim(nonceOf(second));
  result.secondMacOk = c2.macOk;
  result.sqnAfterResync = c2.sqn.toString(16).padStart(12, '0');
  const third = await register(digest(nonceOf(second), c2.res));
  result.third = status(third);
  result.pAssociatedUri = /^P-Associated-URI: ([^\r\n]+)/mi.exec(third)?.[1] ?? '';
} catch (err) {
  result.error = (err as Error).message;
}
console.log(JSON.stringify(result));
sock.close();
