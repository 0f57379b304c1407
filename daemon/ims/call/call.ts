// One MMTel call (TS 24.229 5.1.3/5.1.4, IR.92 2.2-2.4), whichever side started it: its CallInfo,
// its media hand-off to the driver (startMedia once an answer is known, updateMedia on changes,
// stopMedia at the end), hold/resume by re-INVITE (RFC 3264 8.4), the peer's offers in UPDATE
// or re-INVITE (RFC 3311, RFC 3261 14.2), DTMF (RFC 4733 via the media side, or INFO with
// application/dtmf-relay), and the end of the call. mo.ts and mt.ts drive the set-up.
import type { CallInfo, CallState, DisconnectReason } from '../../dbus/backend.js';
import { CallBackendError } from '../../dbus/backend.js';
import type { Logger } from '../../log/logger.js';
import type { Clock, TimerHandle } from '../../sip/clock.js';
import type { SipRequest } from '../../sip/message.js';
import type { Body, Session, TerminationCause, UserAgentCore } from '../../sip/user-agents/index.js';
import type { MediaCapabilities, MediaDirection, MediaSession, ModemDriver } from '../../../modem-drivers/driver.js';
import { answerOffer, readAnswer, type NegotiatedMedia } from './sdp/answer.js';
import { parseSdp, serializeSdp, type SessionDescription } from './sdp/model.js';
import { buildAudioSdp, DEFAULT_PTIME, type LocalMedia, type OfferedMedia } from './sdp/offer.js';
import { applyPeerPreconditions, type QosStatus } from './sdp/preconditions.js';
import type { RtpPortPool } from './rtp-ports.js';

/** what a call needs from the service */
export interface CallContext {
  core: UserAgentCore;
  driver: ModemDriver;
  caps: MediaCapabilities;
  clock: Clock;
  log: Logger;
  localAddress: string;
  ports: RtpPortPool;
  preconditions: boolean;
  qosTimeoutMs: number;
  /** the local segment's resources are reserved (QCI 1 bearer up, or no bearer events) */
  qosReady(): boolean;
  changed(call: Call): void;
  ended(call: Call): void;
}

/** RFC 4733 3.2 events 0-15; oFono's SendTones takes the same characters */
export const DTMF = /^[0-9*#A-Da-d]+$/;

export class Call {
  readonly info: CallInfo;
  readonly log: Logger;
  readonly local: LocalMedia;
  /** the formats of our last offer or answer */
  formats: OfferedMedia | undefined;
  negotiated: NegotiatedMedia | undefined;
  /** RFC 3312 status while preconditions are in use for this call */
  qos: QosStatus | undefined;
  session: Session | undefined;
  /** we asked for the end (hangup, cancel, reject) */
  localEnd = false;
  weHold = false;
  /** the local segment status our last description told the peer (RFC 3312 a=curr:qos local) */
  reportedLocal: QosStatus['localCurrent'] | undefined;
  #mediaStarted = false;
  #media: Promise<void> = Promise.resolve();
  #qosTimer: TimerHandle | undefined;
  #ended = false;
  /** run by hangup() for the phase the call is in */
  onHangup: (() => void) | undefined;
  /** run when the local QoS changes while the call is being set up */
  onQos: (() => void) | undefined;

  constructor(
    readonly ctx: CallContext,
    id: string,
    direction: CallInfo['direction'],
    state: CallState,
  ) {
    this.info = { id, direction, state, lineIdentification: '', name: '', remoteHeld: false, emergency: false, earlyMedia: false };
    this.log = ctx.log.child(id);
    this.local = { address: ctx.localAddress, port: ctx.ports.allocate(), sessionId: String(ctx.core.random.int(1, 2 ** 31 - 1)), sessionVersion: 1 };
  }

  get id(): string {
    return this.info.id;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get state(): CallState {
    return this.info.state;
  }

  setState(state: CallState): void {
    if (this.#ended || this.info.state === state) return;
    this.log.info('call state', { from: this.info.state, to: state });
    this.info.state = state;
    if (state === 'active' && this.info.startTime === undefined) this.info.startTime = new Date().toISOString();
    this.ctx.changed(this);
  }

  update(fields: Partial<Pick<CallInfo, 'earlyMedia' | 'remoteHeld' | 'lineIdentification' | 'name'>>): void {
    let changed = false;
    for (const [k, v] of Object.entries(fields) as Array<[keyof typeof fields, never]>) {
      if (this.info[k] !== v) {
        (this.info as unknown as Record<string, unknown>)[k] = v;
        changed = true;
      }
    }
    if (changed && !this.#ended) this.ctx.changed(this);
  }

  // ---- SDP ----

  /** our next description (RFC 3264 8: the o= version goes up with every new one) */
  describe(direction: MediaDirection, formats: OfferedMedia, options: { askConfirm?: boolean } = {}): string {
    this.refreshLocalQos();
    const sd = buildAudioSdp({
      local: { ...this.local, sessionVersion: this.local.sessionVersion++ },
      media: formats,
      ptime: this.ctx.caps.ptime ?? DEFAULT_PTIME,
      maxptime: this.ctx.caps.maxptime,
      direction,
      ...(this.qos ? { qos: this.qos } : {}),
      askConfirm: options.askConfirm ?? false,
    });
    this.formats = formats;
    this.reportedLocal = this.qos?.localCurrent;
    return serializeSdp(sd);
  }

  parse(body: Buffer | string): SessionDescription {
    return parseSdp(typeof body === 'string' ? body : body.toString('utf8'));
  }

  /** the peer answered our offer */
  takeAnswer(body: Buffer, direction: MediaDirection): void {
    if (!this.formats) return;
    const sd = this.parse(body);
    const n = readAnswer(sd, this.formats, direction, this.ctx.caps);
    if (this.qos && sd.media[0]) this.qos = applyPeerPreconditions(this.qos, sd.media[0]);
    this.useMedia(n);
  }

  /** an offer from the peer (UPDATE, re-INVITE, PRACK): our answer, or a refusal */
  answerPeerOffer(req: SipRequest): Body | { reject: number } {
    try {
      const offer = this.parse(req.body);
      this.refreshLocalQos();
      if (this.qos && offer.media[0]) this.qos = applyPeerPreconditions(this.qos, offer.media[0]);
      const a = answerOffer(offer, this.ctx.caps, {
        local: { ...this.local, sessionVersion: this.local.sessionVersion++ },
        weHold: this.weHold,
        ...(this.qos ? { qos: this.qos, askConfirm: true } : {}),
        ...(this.negotiated ? { prefer: this.negotiated.codec } : {}),
      });
      this.formats = a.formats;
      this.reportedLocal = this.qos?.localCurrent;
      this.useMedia(a.negotiated);
      return { body: serializeSdp(a.sdp) };
    } catch (e) {
      this.log.warning('offer refused', { method: req.method, error: (e as Error).message });
      // RFC 3261 21.4.26: 488 Not Acceptable Here
      return { reject: 488 };
    }
  }

  /** our segment's current status from the bearer (RFC 3312 5.1: sendrecv once reserved both ways) */
  refreshLocalQos(): void {
    if (this.qos) this.qos = { ...this.qos, localCurrent: this.ctx.qosReady() ? 'sendrecv' : 'none' };
  }

  // ---- media ----

  useMedia(n: NegotiatedMedia): void {
    const before = this.negotiated;
    this.negotiated = n;
    this.update({ remoteHeld: n.remoteHeld });
    const session = this.mediaSession();
    if (!session) return;
    const same = before && JSON.stringify({ ...before }) === JSON.stringify({ ...n });
    if (this.#mediaStarted && same) return;
    const start = !this.#mediaStarted;
    this.#mediaStarted = true;
    this.#media = this.#media.then(
      () => (start ? this.ctx.driver.startMedia(session) : this.ctx.driver.updateMedia(session)),
    ).catch((e: unknown) => this.log.error(start ? 'startMedia failed' : 'updateMedia failed', { error: (e as Error).message }));
  }

  mediaSession(): MediaSession | undefined {
    const n = this.negotiated;
    if (!n) return undefined;
    return {
      callId: this.id,
      localAddress: this.local.address,
      localPort: this.local.port,
      remoteAddress: n.remoteAddress,
      remotePort: n.remotePort,
      codec: n.codec,
      ...(n.telephoneEvent ? { telephoneEvent: n.telephoneEvent } : {}),
      ptime: n.ptime,
      direction: n.direction,
    };
  }

  // ---- the session once there is one ----

  /** take the peer's in-dialog requests: offers (UPDATE/re-INVITE), INFO */
  attach(session: Session): void {
    if (this.session === session) return;
    this.session = session;
    session.handlers.onOffer = (req) => {
      const r = this.answerPeerOffer(req);
      queueMicrotask(() => this.onQos?.());
      return r;
    };
    session.handlers.onRequest = (req) => {
      if (req.method === 'INFO') this.log.info('INFO received', { type: req.headers.get('Content-Type') });
    };
  }

  /** RFC 3264 8.4: hold with a=sendonly, resume with a=sendrecv, by re-INVITE */
  async setHold(hold: boolean): Promise<void> {
    const s = this.session;
    if (!s || !this.formats) throw new CallBackendError('Failed', 'the call has no session');
    const previous = this.weHold;
    this.weHold = hold;
    const direction: MediaDirection = hold ? 'sendonly' : 'sendrecv';
    const offer = this.describe(direction, this.formats);
    let res;
    try {
      res = await s.reinvite({ body: offer });
    } catch (e) {
      this.weHold = previous;
      throw new CallBackendError('Failed', `${hold ? 'hold' : 'resume'}: ${(e as Error).message}`);
    }
    if (res.status >= 300) {
      this.weHold = previous;
      throw new CallBackendError('Failed', `${hold ? 'hold' : 'resume'} refused: ${res.status} ${res.reason}`);
    }
    if (res.body.length > 0) {
      try {
        this.takeAnswer(res.body, direction);
      } catch (e) {
        this.log.warning('answer to our re-INVITE unusable', { error: (e as Error).message });
      }
    }
    this.setState(hold ? 'held' : 'active');
  }

  /** DTMF: RFC 4733 through the media side when telephone-event was agreed, else INFO (application/dtmf-relay) */
  async sendTones(tones: string): Promise<void> {
    if (!DTMF.test(tones)) throw new CallBackendError('InvalidFormat', `not DTMF: "${tones}"`);
    if (this.negotiated?.telephoneEvent && this.ctx.caps.telephoneEventRates.length > 0) {
      await this.ctx.driver.sendTones(this.id, tones);
      return;
    }
    const s = this.session;
    if (!s) throw new CallBackendError('Failed', 'the call has no session');
    for (const t of tones.toUpperCase()) {
      const res = await s.info({ body: `Signal=${t}\r\nDuration=160\r\n`, contentType: 'application/dtmf-relay' });
      if (res.status >= 300) throw new CallBackendError('Failed', `INFO for DTMF refused: ${res.status} ${res.reason}`);
    }
  }

  // ---- QoS wait ----

  startQosTimer(onTimeout: () => void): void {
    if (this.#qosTimer) return;
    this.#qosTimer = this.ctx.clock.setTimer(this.ctx.qosTimeoutMs, () => {
      this.#qosTimer = undefined;
      onTimeout();
    });
  }

  stopQosTimer(): void {
    this.ctx.clock.clearTimer(this.#qosTimer);
    this.#qosTimer = undefined;
  }

  // ---- the end ----

  /**
   * the network took the call's resources away (its voice bearer): end it with BYE, reported as
   * DisconnectReason "network" with `information`
   */
  dropForNetwork(information: string): void {
    if (this.#ended) return;
    this.#networkEnd = information;
    this.log.warning('ending the call: its resources are gone', { why: information });
    if (this.session && !this.session.ended) this.session.bye();
    else this.finish('network', information);
  }

  #networkEnd: string | undefined;

  hangup(): void {
    if (this.#ended) return;
    this.localEnd = true;
    if (this.onHangup) this.onHangup();
    else if (this.session && !this.session.ended) this.session.bye();
    else this.finish('local', undefined);
  }

  /** the session of an established call ended */
  sessionEnded(cause: TerminationCause): void {
    switch (cause.by) {
      case 'local':
        if (this.#networkEnd !== undefined) this.finish('network', this.#networkEnd);
        else this.finish('local', undefined);
        return;
      case 'remote':
        this.finish('remote', undefined);
        return;
      case 'session-expired':
        this.finish('network', 'session expired (RFC 4028)');
        return;
      case 'no-ack':
        this.finish('network', 'no ACK for our 200 OK');
        return;
      case 'dialog-gone':
        this.finish('network', `${cause.status} to an in-dialog request`);
        return;
      case 'not-confirmed':
        return;
    }
  }

  finish(reason: DisconnectReason, information: string | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.stopQosTimer();
    this.info.state = 'disconnected';
    this.info.disconnectReason = reason;
    if (information !== undefined) this.info.information = information;
    this.log.info('call ended', { reason, information });
    const started = this.#mediaStarted;
    this.#media = this.#media
      .then(() => (started ? this.ctx.driver.stopMedia(this.id) : undefined))
      .catch((e: unknown) => this.log.error('stopMedia failed', { error: (e as Error).message }))
      .finally(() => this.ctx.ports.release(this.local.port));
    this.ctx.ended(this);
  }

  /** resolves once every media request of this call has been made */
  get mediaSettled(): Promise<void> {
    return this.#media;
  }
}

/** RFC 3261 21: the usual reason phrases, for `information` when a peer sent none */
export function statusText(status: number, reason: string): string {
  return `${status} ${reason}`.trim();
}
