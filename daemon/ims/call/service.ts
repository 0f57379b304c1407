// The MMTel call service (TS 24.229 5.1.3/5.1.4, GSMA IR.92): the CallBackend behind oFono's
// VoiceCallManager, on top of a registration's protected flow.
//
// The registration must be started for calls with (StartRegistrationOptions):
//   supported:    ['100rel', 'precondition', 'timer']   (RFC 3262, RFC 3312, RFC 4028; IR.92 2.2.x/2.4.1)
//   sessionTimer: { interval: 1800, minSE: 90 }        (RFC 4028; the core runs the timers and refreshes
//                                                       with UPDATE when the peer allows it; false: none)
// Without 'precondition' in `supported` the core answers 420 to INVITEs that require it; without
// 'timer' the calls run no session timers. The call service's own `sessionTimer` option is not
// used: session timers belong to the SIP core that the registration builds.
//
// One call at most rings at a time (a second incoming call while one rings gets 486); a second
// incoming call during an active one is "waiting" (HoldAndAnswer/ReleaseAndAnswer); at most one
// active and one held call, as in oFono.
import { EventEmitter } from 'node:events';
import type { CallBackendEvents, CallInfo, HideCallerId } from '../../dbus/backend.js';
import { CallBackendError } from '../../dbus/backend.js';
import { silentLogger } from '../../log/logger.js';
import { SystemClock, type TimerHandle } from '../../sip/clock.js';
import type { IncomingCall } from '../../sip/user-agents/index.js';
import type { SipContext } from '../registration/service.js';
import { Call, type CallContext } from './call.js';
import { originate } from './mo.js';
import { terminate } from './mt.js';
import { isUriDialString, normaliseDialString, requestUriFor } from './number.js';
import { RtpPortPool } from './rtp-ports.js';
import type { CallService, StartCallService, StartCallServiceOptions } from './types.js';
import { VoiceBearerWatch } from './voice-bearer.js';

export const DEFAULT_EMERGENCY_NUMBERS = ['112', '911'];
export const DEFAULT_RTP_PORTS: [number, number] = [40000, 40998];
export const DEFAULT_QOS_TIMEOUT_MS = 20_000;
/**
 * How long an established call outlives the loss of the voice bearer. The network normally ends
 * such a call itself (the PCRF tells the P-CSCF over Rx, TS 29.214 4.4.6, and it sends BYE both
 * ways); a bearer that comes back within this time (e.g. after a handover) keeps the call.
 */
export const BEARER_LOSS_GRACE_MS = 10_000;

class MmtelCallService implements CallService {
  readonly events = new EventEmitter();
  readonly #o: StartCallServiceOptions;
  readonly #log;
  readonly #clock;
  readonly #ports: RtpPortPool;
  readonly #bearer: VoiceBearerWatch;
  /** every call not yet ended, in order of creation */
  readonly #calls = new Map<string, Call>();
  /** calls the user has been told about (CallAdded) */
  readonly #announced = new Set<string>();
  readonly #accept = new Map<string, () => void>();
  #next = 1;
  #closed = false;
  #bearerLoss: TimerHandle | undefined;

  constructor(o: StartCallServiceOptions) {
    this.#o = o;
    this.#log = (o.logger ?? silentLogger).child('ims/call');
    this.#clock = o.clock ?? new SystemClock();
    this.#ports = new RtpPortPool(o.rtpPorts ?? DEFAULT_RTP_PORTS);
    this.#bearer = new VoiceBearerWatch(o.driver);
    this.#bearer.on('change', (ready: boolean) => {
      this.#log.info('voice bearer', { ready });
      for (const c of this.#calls.values()) c.onQos?.();
      this.#clock.clearTimer(this.#bearerLoss);
      this.#bearerLoss = undefined;
      if (!ready && this.#live().some((c) => c.state === 'active' || c.state === 'held')) {
        this.#bearerLoss = this.#clock.setTimer(o.bearerLossGraceMs ?? BEARER_LOSS_GRACE_MS, () => {
          this.#bearerLoss = undefined;
          if (this.#bearer.ready) return;
          for (const c of this.#live()) if (c.state === 'active' || c.state === 'held') c.dropForNetwork('voice bearer (QCI 1) lost');
        });
      }
    });
    o.registration.onInvite = (call, sip) => this.#incoming(call, sip);
    o.registration.events.on('state', this.#onRegistration);
  }

  /** the registration's SIP session ended (PDN lost, modem reset, stop): its calls are gone with it */
  readonly #onRegistration = (): void => {
    const core = this.#o.registration.sip?.core;
    for (const c of this.#live()) {
      if (c.ctx.core === core) continue;
      c.log.warning('the IMS session of the call ended', { registration: this.#o.registration.snapshot.state });
      c.finish('network', 'the IMS session ended (PDN or registration lost)');
    }
  };


  get calls(): CallInfo[] {
    return [...this.#calls.values()].filter((c) => this.#announced.has(c.id)).map((c) => structuredClone(c.info));
  }

  get emergencyNumbers(): string[] {
    return [...(this.#o.emergencyNumbers ?? DEFAULT_EMERGENCY_NUMBERS)];
  }

  #context(sip: SipContext): CallContext {
    return {
      core: sip.core,
      driver: this.#o.driver,
      caps: this.#o.driver.media,
      clock: this.#clock,
      log: this.#log,
      localAddress: sip.ueAddress,
      ports: this.#ports,
      preconditions: this.#o.preconditions ?? true,
      qosTimeoutMs: this.#o.qosTimeoutMs ?? DEFAULT_QOS_TIMEOUT_MS,
      qosReady: () => this.#bearer.ready,
      changed: (c) => {
        if (this.#announced.has(c.id)) this.#emit('changed', c.info);
      },
      ended: (c) => {
        this.#calls.delete(c.id);
        this.#accept.delete(c.id);
        if (this.#announced.delete(c.id)) {
          this.#emit('changed', c.info);
          this.#emit('removed', c.info);
        }
      },
    };
  }

  #emit<E extends keyof CallBackendEvents>(event: E, info: CallInfo): void {
    this.events.emit(event, structuredClone(info));
  }

  #announce(c: Call): void {
    if (c.ended || this.#announced.has(c.id)) return;
    this.#calls.set(c.id, c);
    this.#announced.add(c.id);
    this.#emit('added', c.info);
  }

  #live(): Call[] {
    return [...this.#calls.values()].filter((c) => !c.ended);
  }

  #inState(...states: CallInfo['state'][]): Call[] {
    return this.#live().filter((c) => states.includes(c.state));
  }

  #find(id: string): Call {
    const c = this.#calls.get(id);
    if (!c || !this.#announced.has(id)) throw new CallBackendError('NotFound', `no call ${id}`);
    return c;
  }

  #isEmergency(number: string): boolean {
    if (isUriDialString(number)) return false;
    let n: string;
    try {
      n = normaliseDialString(number);
    } catch {
      return false;
    }
    return this.emergencyNumbers.includes(n.replace(/^\+/, ''));
  }

  async dial(number: string, hideCallerId: HideCallerId): Promise<CallInfo> {
    if (this.#closed) throw new CallBackendError('NotAllowed', 'the call service is closed');
    // IMS emergency calls (TS 24.229 5.1.6) are a later capability: the dialer falls back to CS
    if (this.#isEmergency(number)) throw new CallBackendError('NotImplemented', `${number} is an emergency number: IMS emergency calls are not supported, use circuit-switched calling`);
    const reg = this.#o.registration;
    const snap = reg.snapshot;
    const sip = reg.sip;
    if (snap.state !== 'registered' || !sip) throw new CallBackendError('NotAllowed', `not registered to IMS (registration ${snap.state})`);
    const impu = snap.defaultImpu ?? snap.impus[0];
    if (!impu) throw new CallBackendError('NotAllowed', 'no registered public user identity');
    if (this.#inState('dialing', 'alerting', 'incoming').length > 0) throw new CallBackendError('InProgress', 'another call is being set up');
    const active = this.#inState('active');
    if (active.length > 0 && this.#inState('held').length > 0) throw new CallBackendError('Failed', 'already an active and a held call');
    const uri = requestUriFor(number, this.#o.phoneContext ?? sip.homeDomain, sip.homeDomain);
    // oFono: dialling during an active call puts it on hold first
    for (const a of active) await a.setHold(true);
    const id = `call${this.#next++}`;
    const call = originate(this.#context(sip), id, { uri, hideCallerId, impu, serviceRoute: snap.serviceRoute });
    this.#calls.set(id, call);
    this.#announce(call);
    return structuredClone(call.info);
  }

  #incoming(incoming: IncomingCall, sip: SipContext): void {
    if (this.#closed) {
      incoming.reject(480, 'Temporarily Unavailable');
      return;
    }
    const live = this.#live();
    // one ringing call at a time, and room for one more only when no call is held beside the active one
    if (live.some((c) => c.state === 'incoming' || c.state === 'waiting' || c.state === 'dialing' || c.state === 'alerting') || (this.#inState('active').length > 0 && this.#inState('held').length > 0)) {
      this.#log.info('incoming call while busy: 486', { from: incoming.request.headers.get('From') });
      incoming.reject(486, 'Busy Here');
      return;
    }
    const waiting = live.length > 0;
    const id = `call${this.#next++}`;
    const t = terminate(this.#context(sip), id, incoming, waiting, (c) => this.#announce(c));
    if (!t) return;
    this.#calls.set(id, t.call);
    this.#accept.set(id, t.accept);
  }

  async answer(id: string): Promise<void> {
    const c = this.#find(id);
    if (c.state !== 'incoming' && c.state !== 'waiting') throw new CallBackendError('NotAllowed', `call ${id} is ${c.state}, not incoming`);
    if (c.state === 'waiting' && this.#inState('active').length > 0) throw new CallBackendError('NotAllowed', 'another call is active: use HoldAndAnswer or ReleaseAndAnswer');
    this.#accept.get(id)?.();
  }

  async hangup(id: string): Promise<void> {
    this.#find(id).hangup();
  }

  async hangupAll(): Promise<void> {
    for (const c of this.#live()) c.hangup();
  }

  async holdAndAnswer(): Promise<void> {
    const waiting = this.#inState('waiting', 'incoming')[0];
    if (!waiting) throw new CallBackendError('NotAllowed', 'no waiting call');
    if (this.#inState('active').length > 0 && this.#inState('held').length > 0) throw new CallBackendError('Failed', 'already an active and a held call');
    for (const a of this.#inState('active')) await a.setHold(true);
    this.#accept.get(waiting.id)?.();
  }

  async releaseAndAnswer(): Promise<void> {
    const waiting = this.#inState('waiting', 'incoming')[0];
    for (const a of this.#inState('active')) a.hangup();
    if (waiting) {
      this.#accept.get(waiting.id)?.();
      return;
    }
    const held = this.#inState('held')[0];
    if (held) await held.setHold(false);
  }

  async swapCalls(): Promise<void> {
    const active = this.#inState('active');
    const held = this.#inState('held');
    if (active.length === 0 && held.length === 0) throw new CallBackendError('NotAllowed', 'no active or held call');
    for (const a of active) await a.setHold(true);
    for (const h of held) await h.setHold(false);
  }

  async sendTones(tones: string): Promise<void> {
    const c = this.#inState('active')[0];
    if (!c) throw new CallBackendError('NotAllowed', 'no active call');
    await c.sendTones(tones);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#o.registration.onInvite) this.#o.registration.onInvite = undefined;
    this.#o.registration.events.off('state', this.#onRegistration);
    const live = this.#live();
    for (const c of live) c.hangup();
    await Promise.all(live.map((c) => c.mediaSettled));
    this.#clock.clearTimer(this.#bearerLoss);
    this.#bearer.close();
  }
}

export const startCallService: StartCallService = (options) => new MmtelCallService(options);
