// Call figures against the lab on the host (no IPsec; the host kernel has no ESP), as root:
//   npx tsx bench/calls.ts [calls] [imsd|sipp]   (default 200 calls in each series, both UEs)
// imsd runs as `npm run lab -- up` starts it (standalone, private system bus, UE namespace); the
// far end is the lab's baresip (auto-answer). In the same run SIPp (Debian sip-tester, its own AKA)
// registers as a second UE and places and receives the same calls. tcpdump captures the UE's veth
// in the UE namespace; every wire time below is a capture timestamp, and the D-Bus times are this
// process's wall clock (both CLOCK_REALTIME on this host, microseconds).
// - MO: D-Bus Dial() → imsd's INVITE on the wire (imsd only: SIPp has no API to call);
//   INVITE → 200 OK on the wire (the core and the far end, the same for both UEs);
//   200 OK on the wire → ACK on the wire (the UE's own reaction), imsd against SIPp.
// - MT: INVITE on the wire → imsd's CallAdded signal read by a D-Bus client (imsd only);
//   INVITE on the wire → the UE's 180 Ringing on the wire, imsd against SIPp.
// Figures, not pass/fail.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { farEndCommand } from '../lab/core/baresip-ctrl.js';
import { down, up } from '../lab/core/lab.js';
import { addSubscriber } from '../lab/core/subscribers.js';
import { imsdPaths, LAB_IMSD } from '../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../lab/options.js';
import { CallWatch, nowMs } from '../tests/e2e/daemon/main/call-watch.js';
import { SIPP_OK_TO_LAST } from '../tests/helpers/sipp-scenario.js';
import { sippRegisterScenario, sippSubscriber } from './sipp-ue.js';

const N = Number(process.argv[2] ?? 200);
const ONLY = process.argv[3];
if (ONLY !== undefined && ONLY !== 'imsd' && ONLY !== 'sipp') throw new Error('the second argument is imsd or sipp (one UE only)');
const RUN_IMSD = ONLY !== 'sipp';
const RUN_SIPP = ONLY !== 'imsd';
const FAR_END = '+15559999';
const IMSD_MSISDN = '+15550001';
// SIPp takes aka_K/aka_OP/aka_AMF byte for byte: printable values, OPc computed from OP (TS 35.206 4.1)
const SIPP = { imsi: '001010000000078', msisdn: '+15550078', k: 'imsdbenchcallk01', op: 'imsdbenchcallop1', amf: 'ab', port: 5070 };

function quantile(s: number[], p: number): number {
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

function summary(xs: number[]): { p50: number; p99: number; n: number; text: string } {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { p50: NaN, p99: NaN, n: 0, text: 'no samples' };
  const p50 = quantile(s, 0.5);
  const p99 = quantile(s, 0.99);
  return { p50, p99, n: s.length, text: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)} (n=${s.length})` };
}

const sdp = `v=0
      o=- 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio 40010 RTP/AVP 97 100
      a=rtpmap:97 AMR-WB/16000
      a=fmtp:97 octet-align=1
      a=rtpmap:100 telephone-event/16000
      a=ptime:20
      a=sendrecv`;

/** MO: INVITE to the far end through the P-CSCF (which imposes the Service-Route), ACK, BYE */
function moCall(o: LabOptions): string {
  const from = `<sip:${SIPP.msisdn}@${o.domain}>;tag=[pid]c[call_number]`;
  const to = `<sip:${FAR_END}@${o.domain};user=phone>`;
  // RFC 3261 12.2.1.1: in the dialog the 200 OK set up (its route set, the peer's tag)
  const inDialog = (method: 'ACK' | 'BYE', cseq: number, attrs = ''): string => `  <send${attrs}>
    <![CDATA[
      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      Max-Forwards: 70
      From: ${from}
      To: ${to}[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Content-Length: 0

    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench UE MO call">
  <send retrans="500">
    <![CDATA[
      INVITE sip:${FAR_END}@${o.domain};user=phone SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: ${from}
      To: ${to}
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:${SIPP.imsi}@[local_ip]:[local_port]>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"
      P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
${inDialog('ACK', 1)}
  <pause milliseconds="50"/>
${inDialog('BYE', 2, ' retrans="500"')}
  <recv response="200"/>
</scenario>
`;
}

/** MT: answer the far end's INVITE with 180 at once, then 200; the far end hangs up */
function mtCall(): string {
  // RFC 3261 12.1.1: both responses carry the INVITE's Record-Route, our To tag and our Contact
  const toInvite = (status: string, tail: string): string => `  <send>
    <![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]m[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:${SIPP.imsi}@[local_ip]:[local_port]>
      ${tail}
    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench UE MT call">
  <recv request="INVITE" rrs="true"/>
${toInvite('180 Ringing', 'Content-Length: 0\n')}
${toInvite('200 OK', `Content-Type: application/sdp\n      Content-Length: [len]\n\n      ${sdp}\n`)}
  <recv request="ACK"/>
  <recv request="BYE"/>
${SIPP_OK_TO_LAST}</scenario>
`;
}

interface Packet {
  t: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  callId: string;
  method: string;
  status: string;
  cseqMethod: string;
}

/** SIP messages of the capture (UDP and TCP), with their capture times in ms since the epoch */
function packets(pcap: string): Packet[] {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', 'sip', '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst',
    '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'tcp.srcport', '-e', 'tcp.dstport',
    '-e', 'sip.Call-ID', '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.CSeq.method'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [t, src, dst, us, ud, ts, td, callId, method, status, cseqMethod] = l.split('\t');
    return { t: Number(t) * 1000, src: src!, dst: dst!, srcPort: Number(us || ts), dstPort: Number(ud || td), callId: callId!, method: method ?? '', status: status ?? '', cseqMethod: cseqMethod ?? '' };
  });
}

/** per Call-ID, the first time of the first message matching each predicate */
function firstOf(ps: Packet[], callId: string, pred: (p: Packet) => boolean): number | undefined {
  return ps.find((p) => p.callId === callId && pred(p))?.t;
}

const isInvite = (p: Packet): boolean => p.method === 'INVITE';
const is200Invite = (p: Packet): boolean => p.status === '200' && p.cseqMethod === 'INVITE';
const isAck = (p: Packet): boolean => p.method === 'ACK';
const isRinging = (p: Packet): boolean => (p.status === '180' || p.status === '183') && p.cseqMethod === 'INVITE';

/** Call-IDs in the order of their first INVITE, sent by (MO) or to (MT) the address `ue` on `port` traffic */
function callIds(ps: Packet[], pred: (p: Packet) => boolean): string[] {
  const seen: string[] = [];
  for (const p of ps) if (isInvite(p) && pred(p) && !seen.includes(p.callId)) seen.push(p.callId);
  return seen;
}

function diffs(ps: Packet[], ids: string[], a: (p: Packet) => boolean, b: (p: Packet) => boolean): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const ta = firstOf(ps, id, a);
    const tb = ps.find((p) => p.callId === id && b(p) && ta !== undefined && p.t >= ta)?.t;
    if (ta !== undefined && tb !== undefined) out.push(tb - ta);
  }
  return out;
}

function sipp(ns: string, args: string[], cwd: string, timeoutMs: number): Promise<number> {
  return new Promise((res) => {
    execFile('ip', ['netns', 'exec', ns, 'sipp', ...args], { cwd, timeout: timeoutMs }, (err) => res(err ? Number((err as { code?: number }).code ?? 1) : 0));
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const work = mkdtempSync(join(tmpdir(), 'imsdt-benchcall-'));
  const o = defaultOptions({ runDir: join(work, 'lab'), prefix: `bc${randomBytes(3).toString('hex')}`, ipsec: 'off' });
  const n = names(o);
  let tcpdump: ReturnType<typeof spawn> | undefined;
  let watch: CallWatch | undefined;
  try {
    await up(o, { imsd: true, autoAnswer: true, log: () => {} });
    addSubscriber(o, sippSubscriber(SIPP, SIPP.msisdn));
    const pcap = join(work, 'ue.pcap');
    tcpdump = spawn('ip', ['netns', 'exec', n.ueNs, 'tcpdump', '-i', n.ueIf, '-U', '-n', '-s', '0', '--time-stamp-precision=micro', '-w', pcap, 'port', '5060', 'or', 'port', String(SIPP.port)], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500)); // tcpdump listening, the HSS has re-read the subscribers file
    const bus = imsdPaths(o).busAddress;
    watch = await CallWatch.open(bus, LAB_IMSD.busName, LAB_IMSD.modemPath);
    for (let i = 0; RUN_IMSD && i < 100 && String((await watch.client.imsProperties()).VoiceCapable?.value) !== 'true'; i++) await new Promise((r) => setTimeout(r, 100));
    const vcm = (member: string, sig = '', args: unknown[] = []): Promise<unknown[]> =>
      watch!.conn.call(LAB_IMSD.busName, LAB_IMSD.modemPath, 'org.ofono.VoiceCallManager', member, sig, args);

    // imsd MO: Dial() → … → active (the far end answers by itself) → HangupAll → CallRemoved
    const dialAt: number[] = [];
    for (let i = 0; RUN_IMSD && i <= N; i++) {
      const m = watch.mark();
      const t0 = nowMs();
      const [path] = (await vcm('Dial', 'ss', [FAR_END, 'default'])) as [string];
      dialAt.push(t0);
      await watch.property(path, 'State', 'active', m, 10_000);
      await vcm('HangupAll');
      await watch.callRemoved(path, m, 10_000);
    }
    // imsd MT: the far end dials; CallAdded → Answer → active → Hangup → CallRemoved
    const addedAt: number[] = [];
    for (let i = 0; RUN_IMSD && i <= N; i++) {
      const m = watch.mark();
      await farEndCommand(o, 'dial', `sip:${IMSD_MSISDN}@${o.domain};user=phone`);
      const added = await watch.callAdded(m, 10_000);
      addedAt.push(added.at);
      const path = added.body[0] as string;
      await watch.conn.call(LAB_IMSD.busName, path, 'org.ofono.VoiceCall', 'Answer');
      await watch.property(path, 'State', 'active', m, 10_000);
      await watch.conn.call(LAB_IMSD.busName, path, 'org.ofono.VoiceCall', 'Hangup');
      await watch.callRemoved(path, m, 10_000);
    }

    // SIPp: register (up to 3 tries: SIPp 3.6.1 cuts RES at a zero byte, tests/e2e/lab/lab-network-actions.test.ts), then the same calls
    let moCode = 0;
    let mtCode = 0;
    let sippMtUnanswered = 0;
    if (RUN_SIPP) {
      writeFileSync(join(work, 'reg.xml'), sippRegisterScenario(o.domain, SIPP, { name: 'bench UE registration', tag: 'r', contactParams: ';+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"' }));
      writeFileSync(join(work, 'mo.xml'), moCall(o));
      writeFileSync(join(work, 'mt.xml'), mtCall());
      const target = `${o.coreV4}:${o.pcscfPort}`;
      const common = ['-i', o.ueV4, '-p', String(SIPP.port), '-nostdin', '-timeout_error', '-trace_err'];
      let registered = false;
      for (let attempt = 0; attempt < 3 && !registered; attempt++) {
        registered = (await sipp(n.ueNs, [target, '-sf', 'reg.xml', '-m', '1', '-timeout', '20', ...common, '-error_file', join(work, `reg-err-${attempt}.log`)], work, 30_000)) === 0;
      }
      if (!registered) throw new Error(`SIPp did not register; see ${work}/reg-err-*.log`);
      moCode = await sipp(n.ueNs, [target, '-sf', 'mo.xml', '-m', String(N + 1), '-l', '1', '-timeout', String(N * 2 + 60), ...common, '-error_file', join(work, 'mo-err.log')], work, N * 2000 + 90_000);
      const uas = sipp(n.ueNs, ['-sf', 'mt.xml', '-m', String(N + 1), '-timeout', String(N * 2 + 60), ...common, '-error_file', join(work, 'mt-err.log')], work, N * 2000 + 90_000);
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i <= N; i++) {
        await farEndCommand(o, 'dial', `sip:${SIPP.msisdn}@${o.domain};user=phone`);
        // one call at a time: answered, then hung up by the far end, gone before the next; a call
        // SIPp did not answer is counted and hung up
        if (!(await farEndUntil(o, /ESTABLISHED/i))) sippMtUnanswered++;
        await farEndCommand(o, 'hangup');
        if (!(await farEndUntil(o, /Active calls \(0\)/))) throw new Error('the far end still has a call 5 s after hanging up');
      }
      mtCode = await uas;
    }
    await new Promise((r) => setTimeout(r, 1000));
    tcpdump.kill('SIGINT');
    await new Promise((r) => tcpdump!.once('exit', r));
    tcpdump = undefined;

    const ps = packets(pcap);
    // SIPp's messages use its own port on the UE side; imsd's port 5060 (or an ephemeral TCP port)
    const mo = (sippSide: boolean) => callIds(ps, (p) => p.src === o.ueV4 && (p.srcPort === SIPP.port) === sippSide);
    const mt = (sippSide: boolean) => callIds(ps, (p) => p.dst === o.ueV4 && (p.dstPort === SIPP.port) === sippSide);
    // the first call of each series: warm-up
    const [imsdMo, imsdMt, sippMo, sippMt] = [mo(false), mt(false), mo(true), mt(true)].map((ids) => ids.slice(1)) as [string[], string[], string[], string[]];
    const imsdInviteAt = mo(false).map((id) => firstOf(ps, id, isInvite)!);
    const imsdMtInviteAt = mt(false).map((id) => firstOf(ps, id, isInvite)!);
    if (imsdInviteAt.length !== dialAt.length || imsdMtInviteAt.length !== addedAt.length) {
      throw new Error(`the capture has ${imsdInviteAt.length}/${dialAt.length} MO and ${imsdMtInviteAt.length}/${addedAt.length} MT INVITEs of imsd: cannot pair them`);
    }
    const dialToInvite = dialAt.slice(1).map((t, i) => imsdInviteAt[i + 1]! - t).filter((x) => Number.isFinite(x));
    const inviteToAdded = addedAt.slice(1).map((t, i) => t - imsdMtInviteAt[i + 1]!).filter((x) => Number.isFinite(x));

    const r = {
      dialToInvite: summary(dialToInvite),
      inviteToAdded: summary(inviteToAdded),
      imsdSetup: summary(diffs(ps, imsdMo, isInvite, is200Invite)),
      sippSetup: summary(diffs(ps, sippMo, isInvite, is200Invite)),
      imsdAck: summary(diffs(ps, imsdMo, is200Invite, isAck)),
      sippAck: summary(diffs(ps, sippMo, is200Invite, isAck)),
      imsdRing: summary(diffs(ps, imsdMt, isInvite, isRinging)),
      sippRing: summary(diffs(ps, sippMt, isInvite, isRinging)),
    };
    const ratio = (a: { p50: number; p99: number }, b: { p50: number; p99: number }): string => `${(a.p50 / b.p50).toFixed(2)}× at p50, ${(a.p99 / b.p99).toFixed(2)}× at p99`;
    console.log(`calls against the imsd lab (host, no IPsec), ${N} calls per series after one warm-up, ${new Date().toISOString()}`);
    console.log('wire times: tcpdump on the UE veth in the UE namespace; D-Bus times: this process\'s clock (same host clock)');
    console.log(`  MO imsd  D-Bus Dial() → INVITE on the wire:     ${r.dialToInvite.text}`);
    console.log(`  MO imsd  INVITE → 200 OK (core + far end):      ${r.imsdSetup.text}`);
    console.log(`  MO SIPp  INVITE → 200 OK (core + far end):      ${r.sippSetup.text}`);
    console.log(`  MO imsd  200 OK → ACK on the wire:              ${r.imsdAck.text}`);
    console.log(`  MO SIPp  200 OK → ACK on the wire:              ${r.sippAck.text}`);
    console.log(`     imsd/SIPp 200 → ACK: ${ratio(r.imsdAck, r.sippAck)}; INVITE → 200: ${ratio(r.imsdSetup, r.sippSetup)}`);
    console.log(`  MT imsd  INVITE on the wire → CallAdded signal: ${r.inviteToAdded.text}`);
    console.log(`  MT imsd  INVITE → 180/183 on the wire:          ${r.imsdRing.text}`);
    console.log(`  MT SIPp  INVITE → 180 on the wire:              ${r.sippRing.text}`);
    console.log(`     imsd/SIPp INVITE → ringing: ${ratio(r.imsdRing, r.sippRing)}; imsd INVITE → CallAdded against SIPp INVITE → 180: ${ratio(r.inviteToAdded, r.sippRing)}`);
    if (sippMtUnanswered > 0) console.log(`  SIPp left ${sippMtUnanswered} of ${N + 1} MT calls unanswered within 5 s (left out above)`);
    if (moCode !== 0 || mtCode !== 0) console.log(`  SIPp exit codes: MO ${moCode}, MT ${mtCode} (see the error files in ${work}; failed calls are left out above)`);
  } finally {
    tcpdump?.kill('SIGINT');
    await watch?.close();
    // IMSD_BENCH_KEEP=1 keeps the lab and the work dir (capture, SIPp's files) to look into
    if (process.env.IMSD_BENCH_KEEP) console.log(`kept: ${work} (npm run lab -- --run-dir ${o.runDir} down)`);
    else {
      await down(o, { quiet: true });
      rmSync(work, { recursive: true, force: true });
    }
  }
}

/** poll the far end's call list until it matches (at most 5 s); false when it never did */
async function farEndUntil(o: LabOptions, re: RegExp): Promise<boolean> {
  for (let j = 0; j < 250; j++) {
    if (re.test((await farEndCommand(o, 'listcalls')).data)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench/calls: ${(e as Error).message}`);
  process.exit(1);
});
