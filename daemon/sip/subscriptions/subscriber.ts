// RFC 6665 4.1: the subscriber. Sends SUBSCRIBE (Event, Expires, Accept), takes the 2xx and the
// NOTIFYs in either order (a NOTIFY may overtake the 2xx and then creates the dialog, 4.1.2.4),
// follows Subscription-State, refreshes before expiry, unsubscribes with Expires: 0 and gives up
// when no NOTIFY comes within Timer N (64*T1). Sans-I/O: `send` hands requests to the owner,
// which runs their transactions and feeds responses back with receiveResponse().
import type { Clock, TimerHandle } from '../clock.js';
import type { NameAddr } from '../header-values.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Uri } from '../uri.js';
import { Dialog } from '../dialogs/dialog.js';
import { cryptoRandom, type Random } from '../dialogs/random.js';
import { createInitialRequest } from '../dialogs/request-factory.js';
import { parseSubscriptionState, sameEvent, type SubscriptionState } from './subscription-state.js';

export type SubscriberState = 'idle' | 'notify-wait' | 'pending' | 'active' | 'terminated';

export interface SubscriberTermination {
  /** why: the NOTIFY's reason (rejected, timeout, deactivated, ...), or ours: "timer-n", "expired", "failed" */
  reason: string;
  /** the final response status when a SUBSCRIBE failed */
  status?: number;
  /** seconds before a new subscription may be tried (from the NOTIFY) */
  retryAfter?: number;
}

export interface SubscriberOptions {
  clock: Clock;
  random?: Random;
  /** T1 in ms for Timer N = 64*T1 (default 500) */
  t1?: number;
  /** Request-URI and To of the SUBSCRIBE */
  uri: Uri;
  to: NameAddr;
  from: NameAddr;
  contact: NameAddr;
  /** preloaded Route (e.g. the Service-Route) */
  routes?: NameAddr[];
  /** Event header value, e.g. "reg" or "presence;id=1" */
  event: string;
  accept?: string[];
  /** requested duration in seconds */
  expires: number;
  /** extra headers for every SUBSCRIBE (e.g. P-Preferred-Identity) */
  headers?: Array<[string, string | number]>;
  /** hand a SUBSCRIBE to the owner to send in a new client transaction */
  send: (req: SipRequest) => void;
  onNotify?: (notify: SipRequest, state: SubscriptionState) => void;
  onStateChange?: (state: SubscriberState) => void;
  onTerminated?: (why: SubscriberTermination) => void;
}

export interface NotifyAnswer {
  status: number;
  reason?: string;
}

/** RFC 6665 4.1.2.2 leaves the refresh time to the subscriber; TS 24.229 5.1.2 takes 600 s before expiry, or half when short. */
export function refreshDelaySeconds(expires: number): number {
  return expires > 1200 ? expires - 600 : expires / 2;
}

export class Subscriber {
  #state: SubscriberState = 'idle';
  #dialog: Dialog | undefined;
  #callId = '';
  #fromTag = '';
  #cseq = 0;
  #timerN: TimerHandle | undefined;
  #refresh: TimerHandle | undefined;
  #expiry: TimerHandle | undefined;
  #unsubscribing = false;
  #retried423 = false;
  readonly #o: SubscriberOptions;
  readonly #random: Random;

  constructor(options: SubscriberOptions) {
    this.#o = options;
    this.#random = options.random ?? cryptoRandom;
  }

  get state(): SubscriberState {
    return this.#state;
  }

  get dialog(): Dialog | undefined {
    return this.#dialog;
  }

  get callId(): string {
    return this.#callId;
  }

  /** Send the initial SUBSCRIBE. */
  subscribe(): SipRequest {
    if (this.#state !== 'idle') throw new Error(`subscribe() in state ${this.#state}`);
    this.#callId = this.#random.token();
    this.#fromTag = this.#random.token();
    const req = this.#initial(this.#o.expires);
    this.#setState('notify-wait');
    this.#startTimerN();
    return req;
  }

  #initial(expires: number): SipRequest {
    const req = createInitialRequest({
      method: 'SUBSCRIBE',
      uri: this.#o.uri,
      from: this.#o.from,
      to: this.#o.to,
      contact: this.#o.contact,
      routes: this.#o.routes ?? [],
      callId: this.#callId,
      fromTag: this.#fromTag,
      ...(this.#cseq > 0 ? { cseq: this.#cseq + 1 } : {}),
      random: this.#random,
      headers: this.#headers(expires),
    });
    this.#cseq = req.cseq.seq;
    this.#o.send(req);
    return req;
  }

  #headers(expires: number): Array<[string, string | number]> {
    const h: Array<[string, string | number]> = [['Event', this.#o.event], ['Expires', expires]];
    if (this.#o.accept && this.#o.accept.length > 0) h.push(['Accept', this.#o.accept.join(', ')]);
    return [...h, ...(this.#o.headers ?? [])];
  }

  /** RFC 6665 4.1.2.2: refresh within the dialog with a new Expires. */
  refresh(expires = this.#o.expires): SipRequest {
    if (this.#dialog === undefined || this.#state === 'terminated') throw new Error(`cannot refresh in state ${this.#state}`);
    const req = this.#dialog.createRequest('SUBSCRIBE', { headers: this.#headers(expires) });
    this.#o.send(req);
    return req;
  }

  /** RFC 6665 4.1.2.3: Expires: 0; the notifier answers with a final NOTIFY (terminated). */
  unsubscribe(): SipRequest | undefined {
    if (this.#state === 'terminated') return undefined;
    this.#clearRefresh();
    if (this.#dialog === undefined) {
      // no dialog yet: nothing in-dialog to send; the pending SUBSCRIBE's subscription is dropped
      this.#terminate({ reason: 'unsubscribed' });
      return undefined;
    }
    this.#unsubscribing = true;
    const req = this.refresh(0);
    this.#startTimerN();
    return req;
  }

  /** A response to one of our SUBSCRIBEs. */
  receiveResponse(req: SipRequest, res: SipResponse): void {
    if (this.#state === 'terminated' || res.status < 200) return;
    const initial = req.toTag === undefined;
    if (res.status < 300) {
      if (this.#dialog === undefined && res.toTag !== undefined) {
        this.#dialog = Dialog.asUac(req, res, { localContact: this.#o.contact, random: this.#random });
      } else this.#dialog?.receiveResponse('SUBSCRIBE', res);
      const granted = Number(res.headers.get('Expires') ?? this.#o.expires);
      if (!this.#unsubscribing && Number.isFinite(granted)) this.#schedule(granted);
      return;
    }
    // RFC 6665 4.1.2.1 / RFC 3261 21.4.17: 423 names the Min-Expires to use; retry once
    if (initial && res.status === 423 && !this.#retried423) {
      const min = Number(res.headers.get('Min-Expires'));
      if (Number.isInteger(min) && min > 0) {
        this.#retried423 = true;
        this.#initial(min);
        return;
      }
    }
    if (initial || res.status === 481 || res.status === 408 || this.#unsubscribing) {
      this.#terminate({ reason: 'failed', status: res.status });
    }
    // 4.1.2.2: another failed refresh leaves the subscription running until it expires
  }

  /** Does this NOTIFY belong to this subscription (Call-ID, our From tag as its To tag, Event)? */
  matchesNotify(notify: SipRequest): boolean {
    if (this.#state === 'idle' || notify.callId !== this.#callId || notify.toTag !== this.#fromTag) return false;
    const ev = notify.headers.get('Event');
    if (ev === undefined || !sameEvent(ev, this.#o.event)) return false;
    return this.#dialog === undefined || notify.fromTag === this.#dialog.remoteTag;
  }

  /** RFC 6665 4.1.3: take a NOTIFY; returns the response the owner should send. */
  receiveNotify(notify: SipRequest): NotifyAnswer {
    if (!this.matchesNotify(notify) || this.#state === 'terminated')
      return { status: 481, reason: 'no such subscription' };
    const ssText = notify.headers.get('Subscription-State');
    if (ssText === undefined) return { status: 400, reason: 'missing Subscription-State' };
    let ss: SubscriptionState;
    try {
      ss = parseSubscriptionState(ssText);
    } catch (e) {
      return { status: 400, reason: (e as Error).message };
    }
    if (this.#dialog === undefined) {
      // 4.1.2.4: the NOTIFY overtook the 2xx; it creates the dialog
      const d = Dialog.asUas(notify, this.#fromTag, { localContact: this.#o.contact, random: this.#random, state: 'confirmed' });
      d.localSeq = this.#cseq;
      this.#dialog = d;
    } else {
      const check = this.#dialog.receiveRequest(notify);
      if (!check.accept) return { status: check.status, reason: check.reason };
    }
    this.#o.clock.clearTimer(this.#timerN);
    this.#timerN = undefined;
    this.#o.onNotify?.(notify, ss);
    if (ss.state === 'terminated') {
      const why: SubscriberTermination = { reason: ss.reason ?? 'terminated' };
      if (ss.retryAfter !== undefined) why.retryAfter = ss.retryAfter;
      this.#terminate(why);
    } else if (!this.#unsubscribing) {
      if (ss.state === 'active') this.#setState('active');
      else if (ss.state === 'pending') this.#setState('pending');
      if (ss.expires !== undefined) this.#schedule(ss.expires);
    }
    return { status: 200 };
  }

  /** Stop every timer without sending anything (the owner is shutting down). */
  close(): void {
    this.#clearRefresh();
    this.#o.clock.clearTimer(this.#timerN);
    this.#timerN = undefined;
  }

  #startTimerN(): void {
    this.#o.clock.clearTimer(this.#timerN);
    this.#timerN = this.#o.clock.setTimer(64 * (this.#o.t1 ?? 500), () => {
      this.#timerN = undefined;
      this.#terminate({ reason: this.#unsubscribing ? 'unsubscribed' : 'timer-n' });
    });
  }

  #schedule(expires: number): void {
    this.#clearRefresh();
    if (expires <= 0) return;
    this.#refresh = this.#o.clock.setTimer(refreshDelaySeconds(expires) * 1000, () => {
      this.#refresh = undefined;
      if (this.#state !== 'terminated') this.refresh();
    });
    this.#expiry = this.#o.clock.setTimer(expires * 1000, () => {
      this.#expiry = undefined;
      this.#terminate({ reason: 'expired' });
    });
  }

  #clearRefresh(): void {
    this.#o.clock.clearTimer(this.#refresh);
    this.#o.clock.clearTimer(this.#expiry);
    this.#refresh = undefined;
    this.#expiry = undefined;
  }

  #setState(s: SubscriberState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.#o.onStateChange?.(s);
  }

  #terminate(why: SubscriberTermination): void {
    if (this.#state === 'terminated') return;
    this.close();
    this.#dialog?.terminate();
    this.#setState('terminated');
    this.#o.onTerminated?.(why);
  }
}
