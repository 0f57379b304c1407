// The UAS core's 2xx retransmission (RFC 3261 13.3.1.4): the transaction layer does not
// retransmit a 2xx to INVITE (RFC 6026), the TU does — this helper does it for the TU. The
// 2xx is re-sent at T1, 2*T1, ... capped at T2 until the ACK arrives; after 64*T1 without
// ACK the TU is told (it should then end the session with BYE).
import type { SipRequest, SipResponse } from '../message.js';
import { TimerSet } from './timers.js';
import type { TransactionContext } from './transaction.js';
import { TransactionTransportError } from './errors.js';
import type { ResponseRoute } from './response-route.js';

export interface Retransmit2xxHandlers {
  /** 64*T1 passed without ACK (RFC 3261 13.3.1.4) */
  onAckTimeout?(): void;
  onTransportError?(error: TransactionTransportError): void;
  /** the ACK arrived (it is also passed to the TU's onStrayAck) */
  onAck?(ack: SipRequest): void;
}

/** The dialog-level identity an ACK for this 2xx carries (RFC 3261 13.2.2.4, 12.2.1.1). */
export function ackMatchKey(callId: string, cseq: number, fromTag: string | undefined, toTag: string | undefined): string {
  return `${callId}\n${cseq}\n${fromTag ?? ''}\n${toTag ?? ''}`;
}

export class Retransmit2xx {
  readonly #timers: TimerSet;
  #interval: number;
  #stopped = false;
  readonly key: string;

  constructor(
    private readonly ctx: Pick<TransactionContext, 'clock' | 'timers' | 'sender'>,
    readonly response: SipResponse,
    private readonly route: ResponseRoute,
    private readonly handlers: Retransmit2xxHandlers,
    private readonly done: (r: Retransmit2xx) => void,
  ) {
    this.#timers = new TimerSet(ctx.clock);
    this.#interval = ctx.timers.T1;
    this.key = ackMatchKey(response.callId, response.cseq.seq, response.fromTag, response.toTag);
    this.#timers.start('retransmit', this.#interval, () => this.fire());
    this.#timers.start('timeout', 64 * ctx.timers.T1, () => {
      this.stop();
      this.handlers.onAckTimeout?.();
    });
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  private fire(): void {
    try {
      const r = this.ctx.sender(this.response, this.route.dest, this.route.options);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (e: unknown) => this.failed(e));
    } catch (e) {
      this.failed(e);
      return;
    }
    this.#interval = Math.min(2 * this.#interval, this.ctx.timers.T2);
    this.#timers.start('retransmit', this.#interval, () => this.fire());
  }

  private failed(cause: unknown): void {
    if (this.#stopped) return;
    this.stop();
    this.handlers.onTransportError?.(new TransactionTransportError('INVITE', this.response.topVia.params.get('branch') ?? '', cause));
  }

  /** The ACK arrived (the layer calls this for a matching ACK). */
  acked(ack: SipRequest): void {
    if (this.#stopped) return;
    this.stop();
    this.handlers.onAck?.(ack);
  }

  /** Stop retransmitting (e.g. the dialog ended); nothing stays pending on the clock. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timers.clearAll();
    this.done(this);
  }
}
