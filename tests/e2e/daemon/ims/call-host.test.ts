// MMTel calls between imsd (registration + call service with a SimulatedDriver, in the lab's UE
// namespace, no IPsec: the host has no ESP) and the lab's far end (baresip, +15559999, behind the
// S-CSCF), through Kamailio's P-CSCF and S-CSCF: MO answered and hung up from each side, MT
// answered and rejected, cancel before answer, busy (486).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { farEndCommand } from '../../../../lab/core/baresip-ctrl.js';
import { down, up } from '../../../../lab/core/lab.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { command, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { CallUe } from './call/call-ue.js';
import { sippIn } from './call/sipp-peer.js';
import { registerSipp, SIPP_MSISDN, SIPP_PORT } from './call/sipp-subscriber.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
describe('imsd calls against the lab on the host (no IPsec)', function () {
  this.timeout(60_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-callhost-'));
  let o: LabOptions;
  let ue: CallUe;
  const farEnd = async (cmd: string, params = ''): Promise<string> => {
    const r = await farEndCommand(o, cmd, params);
    assert.ok(r.ok, `far end ${cmd}: ${r.data}`);
    return r.data;
  };
  let sippRegistration: Promise<void> | undefined;
  /** SIPp as the second subscriber, registered once per lab */
  const sippRegistered = (): Promise<void> => (sippRegistration ??= registerSipp(o, work));
  const baresipLog = (): string => readFileSync(join(names(o).logDir, 'baresip.log'), 'utf8');
  /** every SIP message in the lab's core capture: tcpdump's packet line and the message's text */
  const sipMessagesInCapture = (): Array<{ packet: string; text: string }> => {
    const dump = spawnSync('tcpdump', ['-r', names(o).pcapFile, '-nn', '-A'], { encoding: 'utf8' }).stdout ?? '';
    const out: Array<{ packet: string; text: string }> = [];
    for (const chunk of dump.split(/\n(?=\d\d:\d\d:\d\d\.)/)) {
      const start = /(SIP\/2\.0 \d{3} |(?:INVITE|ACK|BYE|CANCEL|REGISTER|SUBSCRIBE|NOTIFY|PRACK|UPDATE|INFO|OPTIONS|MESSAGE) (?:sips?|tel):\S+ SIP\/2\.0)/.exec(chunk);
      // (tcpdump -A shows the headers before the payload as text: a method name may follow such a letter)
      if (start) out.push({ packet: chunk.split('\n')[0]!.split(': ')[0]!, text: chunk.slice(start.index) });
    }
    return out;
  };
  /** one line per SIP message in the lab's core capture: tcpdump's packet line and the start line */
  const sipInCapture = (): string[] => sipMessagesInCapture().map((m) => `${m.packet} ${m.text.split(/\r?\n/)[0]}`);

  before(async function () {
    this.timeout(120_000);
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip')]);
    o = defaultOptions({ runDir: join(work, 'lab'), prefix: `ch${randomBytes(3).toString('hex')}`, ipsec: 'off' });
    await up(o, { autoAnswer: false, log: () => undefined });
    // bearer events on: a call with preconditions waits for the QCI 1 bearer the test raises
    ue = new CallUe(names(o).ueNs, { pcscf: o.coreV4, ue: o.ueV4, imsi: '001010000000001', k: K, opc: OPC, sqnStateFile: join(work, 'sqn.json'), bearerEvents: true, accessNetworkInfo: CELL, rtp: true }, work, 'ue');
    await ue.waitFor((e) => e.event === 'reg' && e.snapshot?.state === 'registered', 30_000, 0, 'registered');
  });

  after(async function () {
    this.timeout(60_000);
    if (ue) await ue.stop();
    if (o) await down(o, { quiet: true, keepRunDir: !!process.env.IMSD_KEEP });
    if (!process.env.IMSD_KEEP) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  });

  afterEach(async function () {
    // leave no call behind for the next test
    await ue?.request('hangupAll').catch(() => undefined);
    await farEndCommand(o, 'hangup').catch(() => undefined);
    await sleep(300);
  });

  it('MO: INVITE through P-CSCF and S-CSCF, the far end rings, answers, RTP both ways and a DTMF digit baresip decodes, imsd hangs up (BYE)', async () => {
    const t0 = Date.now();
    const call = await ue.request<{ id: string; state: string }>('dial', '+15559999', '');
    assert.equal(call.state, 'dialing');
    await ue.waitState(call.id, 'alerting');
    await farEnd('accept');
    const active = await ue.waitState(call.id, 'active');
    console.log(`      figure: dial → active ${active.at - t0} ms (far end answered by command)`);
    await ue.waitFor((e) => e.event === 'media' && e.record?.op === 'start' && e.record.session?.callId === call.id, 5000, 0, 'startMedia');
    const media = ue.media(call.id);
    assert.equal(media[0]?.op, 'start');
    const s = media[0]!.session as { codec: { name: string; payloadType: number }; remoteAddress: string; remotePort: number; localPort?: number };
    assert.equal(s.codec.name, 'PCMU');
    assert.equal(s.codec.payloadType, 0);
    assert.equal(s.remoteAddress, o.coreV4, 'the far end\'s media on the core address, reachable from the UE');
    // media both ways with baresip: imsd's RTP (modem-drivers/rtp/) and baresip's WAV tone
    await sleep(800);
    const rtp = await ue.request<{ sent: number; received: number; receivedByPayloadType: Record<string, number> }>('rtpStats', call.id);
    assert.ok(rtp.sent >= 20, `imsd sent ${rtp.sent} RTP packets`);
    assert.ok((rtp.receivedByPayloadType['0'] ?? 0) >= 10, `PCMU from baresip at imsd: ${JSON.stringify(rtp.receivedByPayloadType)}`);
    assert.match(baresipLog(), new RegExp(`incoming rtp for 'audio' established, receiving from ${o.ueV4.replaceAll('.', '\\.')}:${s.localPort ?? ''}`), 'baresip receives imsd\'s RTP');
    // RFC 4733 DTMF as baresip decodes it
    await ue.request('sendTones', '4');
    for (let i = 0; i < 30 && !/received event: '4'/.test(baresipLog()); i++) await sleep(100);
    assert.match(baresipLog(), /received event: '4'/, 'baresip decodes imsd\'s telephone-event');
    await ue.request('hangup', call.id);
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'local');
    assert.deepEqual(ue.states(call.id), ['dialing', 'alerting', 'active', 'disconnected']);
    await ue.waitFor((e) => e.event === 'media' && e.record?.op === 'stop' && e.record.callId === call.id, 5000, 0, 'stopMedia');
    // TS 24.229 5.1.2A.1.1: the cell on every request but ACK and on the responses, as the P-CSCF got them
    await sleep(300);
    // (the INVITE outgrows UDP and goes over TCP from an ephemeral port, RFC 3261 18.1.1)
    const fromUe = sipMessagesInCapture().filter((m) => m.packet.includes(`IP ${o.ueV4}.`) && m.packet.includes(`> ${o.coreV4}.5060`));
    const seen = fromUe.map((m) => `${/^(?:SIP\/2\.0 (\d{3} \S+)|([A-Z]+))/.exec(m.text)!.slice(1).join('')}: ${/^P-Access-Network-Info: (.*)$/m.exec(m.text)?.[1]?.trim() === CELL ? 'cell' : '-'}`);
    for (const m of ['REGISTER', 'SUBSCRIBE', 'INVITE', 'BYE']) assert.ok(seen.includes(`${m}: cell`), `${m} with the cell among imsd's messages: ${seen.join(', ')}`);
    assert.deepEqual(seen.filter((x) => x.endsWith(': -')), seen.filter((x) => x.startsWith('ACK')), `only ACK goes without the cell: ${seen.join(', ')}`);
    assert.ok(seen.includes('ACK: -'), seen.join(', '));
  });

  it('MO: the far end hangs up (BYE from the far end): disconnected, reason remote', async () => {
    const call = await ue.request<{ id: string }>('dial', '+15559999', '');
    await ue.waitState(call.id, 'alerting');
    await farEnd('accept');
    await ue.waitState(call.id, 'active');
    await farEnd('hangup');
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'remote');
  });

  it('MO: cancelled before answer: CANCEL, 487, reason local', async () => {
    const call = await ue.request<{ id: string }>('dial', '+15559999', '');
    await ue.waitState(call.id, 'alerting');
    await ue.request('hangup', call.id);
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'local');
    assert.match(removed.call!.information ?? '', /^487/);
  });

  it('MO: the far end rejects: busy, reason remote with the status', async () => {
    const call = await ue.request<{ id: string }>('dial', '+15559999', '');
    await ue.waitState(call.id, 'alerting');
    await farEnd('hangup');
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'remote');
    assert.match(removed.call!.information ?? '', /^486 /);
  });

  it('MT: the far end calls +15550001, imsd shows it incoming with the caller, answers, the far end hangs up', async () => {
    const from = ue.events.length;
    await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
    const added = await ue.waitFor((e) => e.event === 'added', 10_000, from, 'incoming call');
    assert.equal(added.call!.state, 'incoming');
    assert.equal(added.call!.lineIdentification, '+15559999');
    await ue.request('answer', added.call!.id);
    await ue.waitState(added.call!.id, 'active');
    for (let i = 0; i < 50 && !/Call established/.test(baresipLog()); i++) await sleep(100);
    await farEnd('hangup');
    const removed = await ue.waitRemoved(added.call!.id);
    assert.equal(removed.call!.disconnectReason, 'remote');
  });

  it('MT: imsd rejects (603 Decline)', async () => {
    const from = ue.events.length;
    await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
    const added = await ue.waitFor((e) => e.event === 'added', 10_000, from, 'incoming call');
    await ue.request('hangup', added.call!.id);
    const removed = await ue.waitRemoved(added.call!.id);
    assert.equal(removed.call!.information, '603 Decline');
    for (let i = 0; i < 50 && !/603/.test(baresipLog()); i++) await sleep(100);
    // seen once in ~20 runs: no 603 in baresip's log after 5 s; say where the 603 got to
    if (!/603 Decline/.test(baresipLog())) assert.fail(`baresip never logged the 603; SIP in the core capture:\n${sipInCapture().slice(-40).join('\n')}\nbaresip:\n${baresipLog().slice(-1500)}`);
  });

  it('preconditions and 100rel end to end with SIPp as the far end: 183 (Require 100rel) → PRACK, bearer up → UPDATE, 180, 200, session refresh by UPDATE at half of 90 s, BYE', async function () {
    this.timeout(120_000);
    await sippRegistered();
    const uas = sippIn({ namespace: names(o).ueNs, scenario: 'uas-preconditions.xml', vars: {}, local: o.ueV4, port: SIPP_PORT, workDir: work, name: 'sipp-uas', timeoutS: 100 });
    try {
      await sleep(300);
      const from = ue.events.length;
      const call = await ue.request<{ id: string }>('dial', SIPP_MSISDN, '');
      // the 183's answer is known: media starts; the voice bearer has not come yet
      await ue.waitFor((e) => e.event === 'media' && e.record?.op === 'start', 10_000, from, 'media start after the 183');
      assert.deepEqual(ue.states(call.id), ['dialing']);
      await ue.request('bearerUp', { id: 7, qci: 1, filters: [] });
      await ue.waitState(call.id, 'alerting', 10_000);
      const active = await ue.waitState(call.id, 'active', 10_000);
      // RFC 4028 10: the refresher (imsd, refresher=uac) refreshes at half of 90 s
      await sleep(48_000);
      assert.ok(ue.events.slice(from).every((e) => e.event !== 'removed'), ue.callTrace());
      await ue.request('hangup', call.id);
      await ue.waitRemoved(call.id);
      const r = await uas.done;
      assert.equal(r.code, 0, `SIPp's scenario failed: ${r.errors.slice(0, 1500)}`);
      const refresh = /UPDATE sip:[^\n]*\n(?:[^\n]+\n)*?Session-Expires: 90;refresher=uac/.test(r.messages);
      assert.ok(refresh, 'the refresh UPDATE carries Session-Expires: 90;refresher=uac');
      const log = readFileSync(ue.logFile, 'utf8');
      assert.ok(!log.includes(K) && !log.includes(OPC), 'no key in the UE log');
      console.log(`      figure: active ${active.at - (ue.events[from]?.at ?? active.at)} ms after dial with preconditions (bearer raised by the test)`);
    } finally {
      uas.kill();
    }
  });

  it('media on the AP: imsd\'s RTP (G.711 tone, RFC 4733 DTMF) reaches the address and port SIPp answered with, and SIPp\'s echo comes back to imsd\'s port', async function () {
    this.timeout(60_000);
    await sippRegistered();
    // SIPp -rtp_echo echoes on -mp (audio) and -mp+2 (video); nothing else listens near them
    const mediaPort = 6100;
    const uas = sippIn({ namespace: names(o).ueNs, scenario: 'uas-rtp-echo.xml', vars: {}, local: o.ueV4, port: SIPP_PORT, workDir: work, name: 'sipp-echo', timeoutS: 40, extraArgs: ['-rtp_echo', '-mp', String(mediaPort)] });
    try {
      await sleep(300);
      const call = await ue.request<{ id: string }>('dial', SIPP_MSISDN, '');
      await ue.waitState(call.id, 'active', 10_000);
      const start = await ue.waitFor((e) => e.event === 'media' && e.record?.op === 'start' && e.record.session?.callId === call.id, 5000, 0, 'startMedia');
      const session = start.record!.session as { remotePort: number; codec: { name: string }; telephoneEvent?: { clockRate: number } };
      assert.equal(session.remotePort, mediaPort);
      assert.equal(session.codec.name, 'PCMU');
      assert.equal(session.telephoneEvent?.clockRate, 8000);
      await sleep(1000);
      const mid = await ue.request<{ sent: number; received: number; receivedByPayloadType: Record<string, number> }>('rtpStats', call.id);
      // 20 ms frames for about a second, and SIPp's echo of them
      assert.ok(mid.sent >= 30, `sent ${mid.sent}`);
      assert.ok(mid.received >= 20 && mid.received <= mid.sent, `echoed back ${mid.received} of ${mid.sent}`);
      await ue.request('sendTones', '19#');
      await sleep(300);
      const end = await ue.request<{ digitsSent: string; digitsReceived: string; dropped: number }>('rtpStats', call.id);
      assert.equal(end.digitsSent, '19#');
      assert.equal(end.digitsReceived, '19#', 'the echoed telephone-events decode to the digits sent');
      assert.equal(end.dropped, 0);
      await ue.request('hangup', call.id);
      await ue.waitRemoved(call.id);
      const r = await uas.done;
      assert.equal(r.code, 0, `SIPp's scenario failed: ${r.errors.slice(0, 1500)}`);
    } finally {
      uas.kill();
    }
  });

  it('call waiting: a second caller (SIPp) during an active call is "waiting"; HoldAndAnswer holds the first, ReleaseAndAnswer ends the second and resumes the first', async function () {
    this.timeout(60_000);
    let from = ue.events.length;
    await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
    const first = (await ue.waitFor((e) => e.event === 'added', 10_000, from, 'first incoming call')).call!;
    await ue.request('answer', first.id);
    await ue.waitState(first.id, 'active');
    from = ue.events.length;
    const second = sippIn({ namespace: names(o).coreNs, scenario: 'uac-waiting.xml', vars: { TARGET: '+15550001', DOMAIN: o.domain }, local: '127.0.0.1', port: 5094, target: '127.0.0.1:6060', workDir: work, name: 'sipp-waiting', timeoutS: 40 });
    try {
      const w = (await ue.waitFor((e) => e.event === 'added', 10_000, from, 'second incoming call')).call!;
      assert.equal(w.state, 'waiting');
      assert.equal(w.lineIdentification, '+15557777');
      await ue.request('holdAndAnswer');
      await ue.waitState(first.id, 'held', 10_000);
      await ue.waitState(w.id, 'active', 10_000);
      await ue.request('releaseAndAnswer');
      const removed = await ue.waitRemoved(w.id);
      assert.equal(removed.call!.disconnectReason, 'local');
      await ue.waitState(first.id, 'active', 10_000, ue.events.findIndex((e) => e.call?.id === first.id && e.call.state === 'held'));
      const r = await second.done;
      assert.equal(r.code, 0, `SIPp's scenario failed: ${r.errors.slice(0, 1500)}`);
      assert.deepEqual(ue.states(first.id), ['incoming', 'active', 'held', 'active']);
      await ue.request('hangup', first.id);
      await ue.waitRemoved(first.id);
    } finally {
      second.kill();
    }
  });

  it('figures: dial() → INVITE on its way, and INVITE in the call service → CallAdded, p50/p99 over 20 calls each', async function () {
    this.timeout(120_000);
    const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    const dialMs: number[] = [];
    const addedMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const call = await ue.request<{ id: string; ms: number }>('dial', '+15559999', '');
      dialMs.push(call.ms);
      await ue.waitState(call.id, 'alerting');
      await ue.request('hangup', call.id);
      await ue.waitRemoved(call.id);
    }
    for (let i = 0; i < 20; i++) {
      const from = ue.events.length;
      await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
      const added = await ue.waitFor((e) => e.event === 'added', 10_000, from, 'incoming call');
      const invite = ue.events.slice(from).find((e) => e.event === 'invite')!;
      addedMs.push(added.t! - invite.t!);
      await ue.request('hangup', added.call!.id);
      await ue.waitRemoved(added.call!.id);
      await sleep(100);
    }
    assert.equal(dialMs.length, 20);
    assert.ok(q(dialMs, 50) < 100 && q(addedMs, 50) < 100, `${dialMs} / ${addedMs}`);
    console.log(`      figure: dial() → INVITE handed to the transport p50 ${q(dialMs, 50).toFixed(2)} ms p99 ${q(dialMs, 99).toFixed(2)} ms; INVITE at the call service → CallAdded p50 ${q(addedMs, 50).toFixed(2)} ms p99 ${q(addedMs, 99).toFixed(2)} ms (20 calls each, lab on the host)`);
  });
});
