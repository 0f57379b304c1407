// A minimal scripted UE for the lab's sec-agree tests (TS 33.203 / TS 24.229), run inside the UE
// namespace: `tsx secagree-ue.ts <json options>`. It prints one line per step ("UE <STEP> {json}")
// and exits non-zero on the first failure.
//   phase "challenge": unprotected REGISTER with Security-Client -> 401 with Security-Server.
//   phase "full": then AKA (Milenage), its own ESP SAs + policies (ip xfrm), protected REGISTER
//     -> 200 OK, SUBSCRIBE reg -> 200, and the NOTIFY the P-CSCF sends towards the UE must arrive
//     on the UE's protected server port from the P-CSCF's protected client port.
//   phase "mt": then print WAITING_MT and expect an INVITE the same way (answered 486 Busy Here).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { milenage } from '../../../../daemon/auth/milenage.js';

interface Opts {
  phase: 'challenge' | 'full' | 'mt';
  ue: string;
  pcscf: string;
  imsi: string;
  domain: string;
  k: string;
  opc: string;
  timeoutMs: number;
}
const o = JSON.parse(process.argv[2]) as Opts;
const IMPI = `${o.imsi}@${o.domain}`;
const IMPU = `sip:${o.imsi}@${o.domain}`;
const PORT_UC = 5062;
const PORT_US = 5064;
const SPI_UC = 0x1111 + Math.floor(Math.random() * 1000);
const SPI_US = SPI_UC + 1;

function step(name: string, data: unknown = {}): void {
  console.log(`UE ${name} ${JSON.stringify(data)}`);
}
function fail(why: string): never {
  console.log(`UE FAIL ${JSON.stringify(why)}`);
  process.exit(1);
}

interface Msg {
  start: string;
  headers: Map<string, string[]>;
  raw: string;
  from: { address: string; port: number };
  localPort: number;
}
function parse(buf: Buffer, from: { address: string; port: number }, localPort: number): Msg {
  const raw = buf.toString('utf8');
  const [head] = raw.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), l.slice(i + 1).trim()]);
  }
  return { start: lines[0], headers, raw, from, localPort };
}

const queue: Msg[] = [];
let wake: (() => void) | undefined;
function bind(port: number): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.on('message', (b, r) => {
      queue.push(parse(b, { address: r.address, port: r.port }, port));
      wake?.();
    });
    s.once('error', rej);
    s.bind(port, o.ue, () => res(s));
  });
}
async function receive(match: (m: Msg) => boolean, what: string): Promise<Msg> {
  const end = Date.now() + o.timeoutMs;
  for (;;) {
    const i = queue.findIndex(match);
    if (i >= 0) return queue.splice(i, 1)[0];
    if (Date.now() > end) fail(`no ${what} within ${o.timeoutMs} ms; got: ${queue.map((m) => m.start).join(' | ')}`);
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 100);
    });
  }
}
function send(s: Socket, port: number, text: string): Promise<void> {
  return new Promise((res, rej) => s.send(Buffer.from(text), port, o.pcscf, (e) => (e ? rej(e) : res())));
}
const isFinal = (cseq: string) => (m: Msg) => /^SIP\/2\.0 [2-6]\d\d/.test(m.start) && (m.headers.get('cseq')?.[0] ?? '') === cseq;
function param(v: string, name: string): string | undefined {
  return new RegExp(`(?:^|[;,\\s])${name}="?([^";,]*)"?`, 'i').exec(v)?.[1];
}

const callId = `${randomBytes(6).toString('hex')}@${o.ue}`;
const fromTag = randomBytes(4).toString('hex');
const secClient = `ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=${SPI_UC};spi-s=${SPI_US};port-c=${PORT_UC};port-s=${PORT_US}`;
function register(cseq: number, localPort: number, extra: string[]): string {
  // TS 24.229 5.1.1.2.1: Contact and Via carry the protected server port from the first REGISTER on
  return [
    `REGISTER sip:${o.domain} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.ue}:${localPort === 5060 ? 5060 : PORT_US};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <${IMPU}>;tag=${fromTag}`,
    `To: <${IMPU}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${o.imsi}@${o.ue}:${PORT_US}>;expires=600000`,
    'Expires: 600000',
    'Supported: path, sec-agree',
    'Require: sec-agree',
    'Proxy-Require: sec-agree',
    `Security-Client: ${secClient}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const xfrm = (args: string[]) => execFileSync('ip', ['xfrm', ...args], { encoding: 'utf8' });

async function main(): Promise<void> {
  const unprotected = await bind(5060);
  await send(unprotected, 5060, register(1, 5060, [`Authorization: Digest username="${IMPI}",realm="${o.domain}",nonce="",uri="sip:${o.domain}",response=""`]));
  const challenge = await receive(isFinal('1 REGISTER'), '401 to the first REGISTER');
  if (!challenge.start.startsWith('SIP/2.0 401')) fail(`first REGISTER answered ${challenge.start}`);
  const server = challenge.headers.get('security-server')?.[0];
  const wwwAuth = challenge.headers.get('www-authenticate')?.[0];
  if (!server || !wwwAuth) fail('401 without Security-Server or WWW-Authenticate');
  if (/\bck=|\bik=/.test(wwwAuth)) fail('the P-CSCF let CK/IK through to the UE');
  const sv = {
    spiPc: Number(param(server, 'spi-c')), spiPs: Number(param(server, 'spi-s')),
    portPc: Number(param(server, 'port-c')), portPs: Number(param(server, 'port-s')),
  };
  step('CHALLENGED', { securityServer: server, ue: { spiUc: SPI_UC, spiUs: SPI_US, portUc: PORT_UC, portUs: PORT_US } });
  if (o.phase === 'challenge') {
    unprotected.close();
    return;
  }

  // IMS AKA (TS 33.102 6.3): nonce = base64(RAND || AUTN), AUTN = SQN^AK || AMF || MAC-A
  const nonce = param(wwwAuth, 'nonce') ?? fail('no nonce');
  const realm = param(wwwAuth, 'realm') ?? o.domain;
  const qop = param(wwwAuth, 'qop');
  const raw = Buffer.from(nonce, 'base64');
  const rand = raw.subarray(0, 16);
  const autn = raw.subarray(16, 32);
  const k = Buffer.from(o.k, 'hex');
  const opc = Buffer.from(o.opc, 'hex');
  const amf = autn.subarray(6, 8);
  const ak = milenage(k, opc, rand, Buffer.alloc(6), amf).ak;
  const sqn = Buffer.from(autn.subarray(0, 6).map((b, i) => b ^ ak[i]));
  const v = milenage(k, opc, rand, sqn, amf);
  if (!v.macA.equals(autn.subarray(8, 16))) fail('AUTN MAC-A does not verify');
  step('AKA', { sqn: sqn.toString('hex') });

  // TS 33.203 6.3 / 7.1: four SAs, hmac-sha-1-96 keyed with IK || 32 zero bits, null encryption
  const key = `0x${v.ik.toString('hex')}00000000`;
  const sa = (src: string, dst: string, spi: number, reqid: number) =>
    xfrm(['state', 'add', 'src', src, 'dst', dst, 'proto', 'esp', 'spi', String(spi), 'mode', 'transport', 'reqid', String(reqid),
      'auth-trunc', 'hmac(sha1)', key, '96', 'enc', 'ecb(cipher_null)', '']);
  sa(o.ue, o.pcscf, sv.spiPs, 1); // UE port_uc -> P-CSCF port_ps
  sa(o.ue, o.pcscf, sv.spiPc, 2); // UE port_us -> P-CSCF port_pc
  sa(o.pcscf, o.ue, SPI_UC, 3); // P-CSCF port_ps -> UE port_uc
  sa(o.pcscf, o.ue, SPI_US, 4); // P-CSCF port_pc -> UE port_us
  const pol = (sport: number, dport: number, reqid: number) =>
    xfrm(['policy', 'add', 'src', o.ue, 'dst', o.pcscf, 'proto', 'udp', 'sport', String(sport), 'dport', String(dport), 'dir', 'out',
      'tmpl', 'src', o.ue, 'dst', o.pcscf, 'proto', 'esp', 'mode', 'transport', 'reqid', String(reqid)]);
  pol(PORT_UC, sv.portPs, 1);
  pol(PORT_US, sv.portPc, 2);
  const uc = await bind(PORT_UC);
  const us = await bind(PORT_US);

  // RFC 3310 3.1: RES is the digest password
  const uri = `sip:${o.domain}`;
  const ha1 = md5(Buffer.concat([Buffer.from(`${IMPI}:${realm}:`), v.res]));
  const ha2 = md5(`REGISTER:${uri}`);
  const cnonce = randomBytes(4).toString('hex');
  const response = qop ? md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const auth = `Authorization: Digest username="${IMPI}",realm="${realm}",nonce="${nonce}",uri="${uri}",response="${response}",algorithm=AKAv1-MD5` +
    (qop ? `,qop=auth,nc=00000001,cnonce="${cnonce}"` : '');
  await send(uc, sv.portPs, register(2, PORT_UC, [`Security-Verify: ${server}`, auth]));
  const ok = await receive(isFinal('2 REGISTER'), '200 to the protected REGISTER');
  if (!ok.start.startsWith('SIP/2.0 200')) fail(`protected REGISTER answered ${ok.start}`);
  step('REGISTERED', { from: ok.from, toPort: ok.localPort, serviceRoute: ok.headers.get('service-route') ?? [] });

  // Reg-event subscription (TS 24.229 5.1.1.3) over the SAs
  const subTag = randomBytes(4).toString('hex');
  const subCallId = `${randomBytes(6).toString('hex')}@${o.ue}`;
  await send(uc, sv.portPs, [
    `SUBSCRIBE ${IMPU} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.ue}:${PORT_US};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <${IMPU}>;tag=${subTag}`,
    `To: <${IMPU}>`,
    `Call-ID: ${subCallId}`,
    'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:${o.imsi}@${o.ue}:${PORT_US}>`,
    'Event: reg',
    'Accept: application/reginfo+xml',
    'Expires: 600000',
    `P-Preferred-Identity: <${IMPU}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'));
  const subOk = await receive(isFinal('1 SUBSCRIBE'), '200 to SUBSCRIBE');
  if (!subOk.start.startsWith('SIP/2.0 2')) fail(`SUBSCRIBE answered ${subOk.start}`);
  step('SUBSCRIBED', { status: subOk.start });
  const notify = await receive((m) => m.start.startsWith('NOTIFY '), 'NOTIFY');
  step('NOTIFY', { from: notify.from, toPort: notify.localPort, start: notify.start });
  // answer it from where it arrived (TS 33.203 7.1: port_us -> port_pc)
  await answer(us, notify, '200 OK');
  if (o.phase === 'mt') {
    step('WAITING_MT');
    const invite = await receive((m) => m.start.startsWith('INVITE '), 'MT INVITE');
    step('MT_INVITE', { from: invite.from, toPort: invite.localPort, start: invite.start });
    await answer(us, invite, '486 Busy Here');
    await receive((m) => m.start.startsWith('ACK '), 'ACK to 486');
    step('MT_DONE');
  }
  unprotected.close();
  uc.close();
  us.close();
}

/** Answer a request from the socket it arrived on, back to where it came from. */
function answer(s: Socket, req: Msg, status: string): Promise<void> {
  const lines = req.raw.split('\r\n');
  const vias = lines.filter((l) => /^(via|v):/i.test(l));
  const hdr = (n: string) => lines.find((l) => l.toLowerCase().startsWith(`${n}:`)) ?? '';
  const to = /;tag=/.test(hdr('to')) ? hdr('to') : `${hdr('to')};tag=${randomBytes(4).toString('hex')}`;
  const text = [`SIP/2.0 ${status}`, ...vias, hdr('from'), to, hdr('call-id'), hdr('cseq'), 'Content-Length: 0', '', ''].join('\r\n');
  return new Promise((res) => s.send(Buffer.from(text), req.from.port, req.from.address, () => res()));
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
