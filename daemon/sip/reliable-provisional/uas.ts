// RFC 3262 3: the UAS side of reliable provisional responses. Each gets Require: 100rel and an
// RSeq one above the previous (the first drawn at random in 1..2**31-1); it is retransmitted at
// T1, 2*T1, 4*T1, ... until a PRACK matches it, and given up after 64*T1. Only one may be
// unacknowledged at a time, so later ones wait in a queue.
import type { Clock, TimerHandle } from '../clock.js';
import type { SipRequest, SipResponse } from '../message.js';
import { cryptoRandom, type Random } from '../dialogs/random.js';
import { ReliableProvisionalError } from './errors.js';

export const DEFAULT_T1 = 500;
const MAX_RSEQ = 2 ** 31 - 1;

export interface ReliableProvisionalSenderOptions {
  clock: Clock;
  /** RFC 3261 T1 in ms (default 500) */
  t1?: number;
  random?: Random;
  /** hand a (re)transmission to the INVITE server transaction */
  send: (res: SipResponse) => void;
  /**
   * 64*T1 passed without PRACK: RFC 3262 3 says the UAS SHOULD reject the INVITE with a 5xx.
   * The sender stops; the owner sends that final response.
   */
  onTimeout: (res: SipResponse) => void;
}

export type PrackMatch =
  /** the PRACK acknowledges the outstanding response: answer it with 200 */
  | { status: 200; acknowledged: SipResponse }
  /** RFC 3262 3: it matches no unacknowledged reliable provisional: 481 */
  | { status: 481; reason: string };

interface Outstanding {
  res: SipResponse;
  rseq: number;
  started: number;
  interval: number;
  timer: TimerHandle;
}

function hasBody(res: SipResponse): boolean {
  return res.body.length > 0;
}

export class ReliableProvisionalSender {
  readonly #o: ReliableProvisionalSenderOptions;
  readonly #t1: number;
  readonly #queue: SipResponse[] = [];
  #nextRseq: number;
  #outstanding: Outstanding | undefined;
  #stopped = false;

  constructor(
    readonly invite: SipRequest,
    options: ReliableProvisionalSenderOptions,
  ) {
    this.#o = options;
    this.#t1 = options.t1 ?? DEFAULT_T1;
    this.#nextRseq = (options.random ?? cryptoRandom).int(1, MAX_RSEQ);
  }

  /** the response awaiting its PRACK */
  get unacknowledged(): SipResponse | undefined {
    return this.#outstanding?.res;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Send `res` (101..199, not 100) reliably, now or once the earlier ones are PRACKed. Returns the
   * RSeq it got (assigned when it actually goes out, so the numbers follow the sending order).
   */
  sendReliable(res: SipResponse): void {
    if (this.#stopped) throw new ReliableProvisionalError('a final response was sent; no more provisionals');
    if (res.status <= 100 || res.status >= 200)
      throw new ReliableProvisionalError(`${res.status} cannot be sent reliably (RFC 3262 3: 101..199 only)`);
    this.#queue.push(res);
    if (this.#outstanding === undefined) this.#sendNext();
  }

  /** RFC 3262 3: a PRACK matches when its RAck names the outstanding RSeq and the INVITE's CSeq. */
  receivePrack(prack: SipRequest): PrackMatch {
    const rack = prack.rack;
    if (rack === undefined) return { status: 481, reason: 'PRACK without RAck' };
    const cseq = this.invite.cseq;
    const o = this.#outstanding;
    if (rack.method.toUpperCase() !== cseq.method || rack.cseq !== cseq.seq)
      return { status: 481, reason: `RAck ${rack.cseq} ${rack.method} names another request` };
    if (o === undefined || rack.rseq !== o.rseq) {
      // a retransmitted PRACK of one we already matched is answered again by its transaction;
      // reaching us means its transaction is gone, so it is a new PRACK that matches nothing
      return { status: 481, reason: `no unacknowledged reliable provisional with RSeq ${rack.rseq}` };
    }
    this.#o.clock.clearTimer(o.timer);
    this.#outstanding = undefined;
    if (!this.#stopped) this.#sendNext();
    return { status: 200, acknowledged: o.res };
  }

  /**
   * RFC 3262 3: no 2xx to the INVITE while a reliable provisional carrying a session description
   * is unacknowledged (queued ones included: they will carry it once sent).
   */
  blocks2xx(): boolean {
    if (this.#outstanding !== undefined && hasBody(this.#outstanding.res)) return true;
    return this.#queue.some(hasBody);
  }

  /** The final response went out: stop retransmitting and drop the queue. */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    if (this.#outstanding) this.#o.clock.clearTimer(this.#outstanding.timer);
    this.#outstanding = undefined;
  }

  #sendNext(): void {
    const res = this.#queue.shift();
    if (res === undefined) return;
    const rseq = this.#nextRseq;
    // RFC 3262 7.1: RSeq is 1..2**32-1, we never let it wrap
    this.#nextRseq = rseq >= 2 ** 32 - 1 ? rseq : rseq + 1;
    const require = res.optionTags('Require');
    if (!require.some((t) => t.toLowerCase() === '100rel')) res.headers.append('Require', '100rel');
    res.rseq = rseq;
    const o: Outstanding = { res, rseq, started: this.#o.clock.now(), interval: this.#t1, timer: { id: -1 } };
    this.#outstanding = o;
    this.#o.send(res);
    this.#arm(o);
  }

  #arm(o: Outstanding): void {
    o.timer = this.#o.clock.setTimer(o.interval, () => {
      if (this.#outstanding !== o) return;
      const elapsed = this.#o.clock.now() - o.started;
      if (elapsed >= 64 * this.#t1) {
        this.#outstanding = undefined;
        this.stop();
        this.#o.onTimeout(o.res);
        return;
      }
      this.#o.send(o.res);
      // RFC 3262 3: the interval starts at T1 and doubles per retransmission; the last wait is
      // cut so the give-up happens at 64*T1 exactly
      o.interval = Math.min(o.interval * 2, 64 * this.#t1 - elapsed);
      this.#arm(o);
    });
  }
}
