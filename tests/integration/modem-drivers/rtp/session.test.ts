// Two RtpSessions on loopback, each the other's far end: real UDP sockets, real timers.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { MediaSession } from '../../../../modem-drivers/driver.js';
import { decodeG711 } from '../../../../modem-drivers/rtp/g711.js';
import { decodeRtp } from '../../../../modem-drivers/rtp/packet.js';
import { RtpSession } from '../../../../modem-drivers/rtp/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BASE = 42000 + (process.pid % 500) * 4;

function media(callId: string, localPort: number, remotePort: number, over: Partial<MediaSession> = {}): MediaSession {
  return {
    callId, localAddress: '127.0.0.1', localPort, remoteAddress: '127.0.0.1', remotePort,
    codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 }, telephoneEvent: { payloadType: 101, clockRate: 8000 }, ptime: 20, direction: 'sendrecv', ...over,
  };
}

describe('rtp: RtpSession on loopback', function () {
  this.timeout(10_000);
  const open: RtpSession[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  const start = async (m: MediaSession): Promise<RtpSession> => {
    const s = await RtpSession.open(m);
    open.push(s);
    return s;
  };

  it('sends a PCMU frame every ptime both ways; DTMF as telephone-events arrives as digits, once each', async () => {
    const a = await start(media('a', BASE, BASE + 2));
    const b = await start(media('b', BASE + 2, BASE));
    await sleep(400);
    assert.ok(a.stats.received >= 8 && a.stats.received <= 24, `about 20 frames in 400 ms, got ${a.stats.received}`);
    assert.ok(b.stats.received >= 8, `b got ${b.stats.received}`);
    await a.sendTones('1#');
    await sleep(100);
    assert.equal(b.stats.digitsReceived, '1#');
    assert.equal(a.stats.digitsSent, '1#');
    assert.equal(a.stats.digitsReceived, '');
    assert.ok((b.stats.receivedByPayloadType[101] ?? 0) >= 2 * (5 + 3 - 1), `telephone-event packets: ${JSON.stringify(b.stats.receivedByPayloadType)}`);
    assert.equal(a.stats.dropped + b.stats.dropped, 0);
  });

  it('the audio is the tone, the RTP stream is well-formed (RFC 3550: one SSRC, sequence +1, timestamp +160 per 20 ms at 8 kHz), events share their start timestamp', async () => {
    const sink = createSocket('udp4');
    const got: Buffer[] = [];
    sink.on('message', (m) => got.push(m));
    await new Promise<void>((r) => sink.bind(BASE + 6, '127.0.0.1', () => r()));
    try {
      const a = await start(media('a', BASE + 4, BASE + 6));
      await sleep(200);
      await a.sendTones('5');
      await sleep(100);
      const packets = got.map((m) => decodeRtp(m));
      assert.equal(new Set(packets.map((p) => p.ssrc)).size, 1);
      for (let i = 1; i < packets.length; i++) assert.equal(packets[i]!.sequence, (packets[i - 1]!.sequence + 1) & 0xffff, `sequence at ${i}`);
      const audio = packets.filter((p) => p.payloadType === 0);
      assert.equal((audio[1]!.timestamp - audio[0]!.timestamp) >>> 0, 160);
      assert.equal(audio[0]!.payload.length, 160);
      const pcm = decodeG711('PCMU', audio[0]!.payload);
      const peak = Math.max(...pcm.map(Math.abs));
      assert.ok(peak > 6000 && peak < 9000, `a tone of amplitude 8000, peak ${peak}`);
      const events = packets.filter((p) => p.payloadType === 101);
      assert.equal(events.length, 5 + 2, 'five 20 ms packets for 100 ms, the last one (E bit) sent three times');
      assert.equal(new Set(events.map((p) => p.timestamp)).size, 1, 'one start timestamp');
      assert.deepEqual(events.map((p) => p.marker), [true, false, false, false, false, false, false]);
      assert.deepEqual(events.map((p) => p.payload.readUInt16BE(2)), [160, 320, 480, 640, 800, 800, 800]);
      assert.deepEqual(events.map((p) => (p.payload[1]! & 0x80) !== 0), [false, false, false, false, true, true, true]);
    } finally {
      sink.close();
    }
  });

  it('hold (sendonly/inactive) stops or keeps sending as the direction says; AMR is received but not sent; a taken port is refused', async () => {
    const a = await start(media('a', BASE + 8, BASE + 10));
    const b = await start(media('b', BASE + 10, BASE + 8, { direction: 'inactive' }));
    await sleep(200);
    assert.equal(b.stats.sent, 0, 'inactive sends nothing');
    assert.ok(b.stats.received > 0, 'but still receives');
    const before = a.stats.sent;
    a.update(media('a', BASE + 8, BASE + 10, { codec: { name: 'AMR-WB', clockRate: 16000, payloadType: 96 } }));
    await sleep(100);
    assert.equal(a.stats.sent, before, 'no AMR-WB encoder: nothing sent');
    await assert.rejects(RtpSession.open(media('c', BASE + 8, BASE)), /EADDRINUSE/);
    await assert.rejects(start(media('d', BASE + 12, BASE, { telephoneEvent: undefined })).then((s) => s.sendTones('1')), /no telephone-event/);
  });
});
