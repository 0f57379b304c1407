// One call's RTP on the application processor, for media sides without modem RTP: a UDP socket on
// the call's local port that sends a G.711 frame every ptime towards the negotiated remote address
// (a steady tone, the media source of desktops and the lab, where there is no microphone) and counts
// what it receives; DTMF as RFC 4733 telephone-events, which it sends and decodes.
// Only PCMU/PCMA are encoded here; with another codec (AMR, AMR-WB) it receives but sends no audio.
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { silentLogger, type Logger } from '../../daemon/log/logger.js';
import type { MediaSession } from '../driver.js';
import { encodeG711, type G711Law } from './g711.js';
import { decodeRtp, encodeRtp, RtpError } from './packet.js';
import { decodeTelephoneEvent, digitOfEvent, encodeTelephoneEvent, eventOfDigit } from './telephone-event.js';

export interface RtpStats {
  sent: number;
  received: number;
  /** received packets by payload type */
  receivedByPayloadType: Record<number, number>;
  /** DTMF digits received as telephone-events, in order */
  digitsReceived: string;
  digitsSent: string;
  /** packets that were not RTP, or from a payload type we do not know */
  dropped: number;
  remoteSsrc?: number;
}

export interface RtpSessionOptions {
  logger?: Logger;
  /** frequency of the tone sent as audio (default 440 Hz; 0: silence) */
  toneHz?: number;
  /** RFC 4733 2.5.1: how long each digit lasts and the pause after it (defaults 100 ms, 50 ms) */
  digitMs?: number;
  gapMs?: number;
}

const sendsAudio = (d: MediaSession['direction']): boolean => d === 'sendrecv' || d === 'sendonly';

export class RtpSession {
  readonly #socket: Socket;
  #session: MediaSession;
  readonly #log: Logger;
  readonly #ssrc = randomInt(0, 2 ** 32);
  #sequence = randomInt(0, 2 ** 16);
  /** RFC 3550 5.1: a random initial timestamp, advancing with the sampling clock */
  #timestamp = randomInt(0, 2 ** 32);
  #phase = 0;
  readonly #toneHz: number;
  readonly #digitMs: number;
  readonly #gapMs: number;
  readonly #timer: NodeJS.Timeout;
  /** digits waiting to go out, and the one going out now */
  #tones: { digits: string[]; done: () => void }[] = [];
  #event: { event: number; digit: string; start: number; elapsedMs: number; packets: number; endsSent: number; gapLeftMs: number } | undefined;
  /** telephone-events already counted (by RTP timestamp, RFC 4733 2.5.2.1) */
  readonly #seenEvents = new Set<number>();
  #warnedCodec = false;
  #closed = false;
  readonly stats: RtpStats = { sent: 0, received: 0, receivedByPayloadType: {}, digitsReceived: '', digitsSent: '', dropped: 0 };

  private constructor(socket: Socket, session: MediaSession, o: RtpSessionOptions) {
    this.#socket = socket;
    this.#session = structuredClone(session);
    this.#log = (o.logger ?? silentLogger).child('rtp');
    this.#toneHz = o.toneHz ?? 440;
    this.#digitMs = o.digitMs ?? 100;
    this.#gapMs = o.gapMs ?? 50;
    socket.on('message', (msg) => this.#receive(msg));
    socket.on('error', (e) => this.#log.warning('RTP socket error', { callId: session.callId, error: e.message }));
    this.#timer = setInterval(() => this.#tick(), session.ptime);
  }

  /** binds the call's local RTP port; rejects when it is taken */
  static async open(session: MediaSession, o: RtpSessionOptions = {}): Promise<RtpSession> {
    const socket = createSocket({ type: isIPv6(session.localAddress) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(session.localPort, session.localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const s = new RtpSession(socket, session, o);
    s.#log.info('RTP started', { callId: session.callId, local: `${session.localAddress}:${session.localPort}`, remote: `${session.remoteAddress}:${session.remotePort}`, codec: session.codec.name, direction: session.direction });
    return s;
  }

  get session(): MediaSession {
    return structuredClone(this.#session);
  }

  /** a re-negotiation (hold, a new remote address): the socket and the stream's counters stay */
  update(session: MediaSession): void {
    this.#session = structuredClone(session);
    this.#log.info('RTP updated', { callId: session.callId, remote: `${session.remoteAddress}:${session.remotePort}`, codec: session.codec.name, direction: session.direction });
  }

  /** RFC 4733 DTMF; resolves once the last digit's end packets are sent */
  sendTones(tones: string): Promise<void> {
    if (this.#closed) return Promise.reject(new RtpError('RTP session closed'));
    if (!this.#session.telephoneEvent) return Promise.reject(new RtpError('no telephone-event was negotiated'));
    const digits = [...tones];
    for (const d of digits) eventOfDigit(d);
    return new Promise((done) => this.#tones.push({ digits, done }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const t of this.#tones) t.done();
    this.#tones = [];
    await new Promise<void>((r) => this.#socket.close(() => r()));
    this.#log.info('RTP stopped', { callId: this.#session.callId, sent: this.stats.sent, received: this.stats.received });
  }

  // one ptime: an event packet while a digit lasts, otherwise audio
  #tick(): void {
    if (sendsAudio(this.#session.direction)) {
      if (!this.#event && this.#tones.length > 0) this.#nextDigit();
      if (this.#event) this.#sendEvent();
      else this.#sendAudio();
    }
    this.#timestamp = (this.#timestamp + this.#frameSamples()) >>> 0;
  }

  #nextDigit(): void {
    const t = this.#tones[0]!;
    const digit = t.digits.shift()!;
    this.#event = { event: eventOfDigit(digit), digit, start: this.#timestamp, elapsedMs: 0, packets: 0, endsSent: 0, gapLeftMs: this.#gapMs };
  }

  #sendEvent(): void {
    const e = this.#event!;
    const te = this.#session.telephoneEvent!;
    const ptime = this.#session.ptime;
    if (e.endsSent >= 3) {
      // the pause after a digit (audio is sent again then)
      e.gapLeftMs -= ptime;
      if (e.gapLeftMs <= 0) this.#finishDigit();
      else this.#sendAudio();
      return;
    }
    e.elapsedMs = Math.min(e.elapsedMs + ptime, this.#digitMs);
    const end = e.elapsedMs >= this.#digitMs;
    const duration = Math.round((te.clockRate * e.elapsedMs) / 1000);
    // RFC 4733 2.5.1.2: the first packet of an event has the marker bit; all share the event's start timestamp;
    // 2.5.1.4: the final packet (E bit) goes three times
    this.#send(te.payloadType, e.packets === 0, e.start, encodeTelephoneEvent({ event: e.event, end, volume: 10, duration }));
    e.packets += 1;
    if (end) e.endsSent += 1;
  }

  #finishDigit(): void {
    const e = this.#event!;
    this.stats.digitsSent += e.digit;
    this.#event = undefined;
    const t = this.#tones[0];
    if (t && t.digits.length === 0) {
      this.#tones.shift();
      t.done();
    }
  }

  /** samples per ptime at the codec's clock */
  #frameSamples(): number {
    return Math.round((this.#session.codec.clockRate * this.#session.ptime) / 1000);
  }

  #sendAudio(): void {
    const s = this.#session;
    const samples = this.#frameSamples();
    const law = s.codec.name.toUpperCase();
    if (law !== 'PCMU' && law !== 'PCMA') {
      if (!this.#warnedCodec) this.#log.notice('no encoder for this codec on the AP: receiving only', { callId: s.callId, codec: s.codec.name });
      this.#warnedCodec = true;
      return;
    }
    const pcm = new Int16Array(samples);
    const step = (2 * Math.PI * this.#toneHz) / s.codec.clockRate;
    for (let i = 0; i < samples; i++) {
      pcm[i] = this.#toneHz > 0 ? Math.round(8000 * Math.sin(this.#phase)) : 0;
      this.#phase = (this.#phase + step) % (2 * Math.PI);
    }
    this.#send(s.codec.payloadType, false, this.#timestamp, encodeG711(law as G711Law, pcm));
  }

  #send(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    if (this.#closed) return;
    const s = this.#session;
    const packet = encodeRtp({ payloadType, marker, sequence: this.#sequence, timestamp, ssrc: this.#ssrc, payload });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.stats.sent += 1;
    this.#socket.send(packet, s.remotePort, s.remoteAddress, (e) => {
      if (e) this.#log.debug('RTP send failed', { callId: s.callId, error: e.message });
    });
  }

  #receive(msg: Buffer): void {
    let p;
    try {
      p = decodeRtp(msg);
    } catch {
      this.stats.dropped += 1;
      return;
    }
    const s = this.#session;
    if (p.payloadType !== s.codec.payloadType && p.payloadType !== s.telephoneEvent?.payloadType) {
      this.stats.dropped += 1;
      return;
    }
    this.stats.received += 1;
    this.stats.receivedByPayloadType[p.payloadType] = (this.stats.receivedByPayloadType[p.payloadType] ?? 0) + 1;
    this.stats.remoteSsrc = p.ssrc;
    if (p.payloadType !== s.telephoneEvent?.payloadType) return;
    try {
      const e = decodeTelephoneEvent(p.payload);
      const digit = digitOfEvent(e.event);
      // one digit per event: its end packets (sent three times) share the start timestamp
      if (e.end && digit !== undefined && !this.#seenEvents.has(p.timestamp)) {
        this.#seenEvents.add(p.timestamp);
        this.stats.digitsReceived += digit;
      }
    } catch {
      this.stats.dropped += 1;
    }
  }
}
