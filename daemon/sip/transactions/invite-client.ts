// INVITE client transaction, RFC 3261 17.1.1.2 (Figure 5) as updated by RFC 6026 7.2 (the
// "Accepted" state and Timer M), with CANCEL per RFC 3261 9.1.
import type { SipRequest, SipResponse } from '../message.js';
import { ClientTransactionBase } from './client-transaction.js';
import { TransactionTimeoutError } from './errors.js';
import { buildCancel, buildNon2xxAck } from './messages.js';
import type { NonInviteClientTransaction } from './non-invite-client.js';
import type { TransactionContext } from './transaction.js';
import type { ClientTransactionHandlers, Destination, IncomingResponse, SendOptions } from './types.js';

export type InviteClientState = 'Calling' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';

/** What `cancel()` did: sent now, deferred until a provisional arrives (9.1), or too late. */
export type CancelOutcome = 'sent' | 'pending' | 'too-late';

export interface CancelOptions {
  /** handlers of the CANCEL's own non-INVITE client transaction */
  handlers?: ClientTransactionHandlers;
  /** extra header fields for the CANCEL, e.g. Reason (RFC 3326) */
  headers?: Array<[string, string]>;
}

/** Starts the CANCEL's non-INVITE client transaction (the layer registers it). */
export type StartCancel = (cancel: SipRequest, dest: Destination, handlers: ClientTransactionHandlers, options: SendOptions) => NonInviteClientTransaction;

export class InviteClientTransaction extends ClientTransactionBase {
  readonly kind = 'invite' as const;
  state: InviteClientState = 'Calling';
  #interval = 0;
  #ack: SipRequest | undefined;
  #pendingCancel: CancelOptions | undefined;
  /** the CANCEL's client transaction once it was sent */
  cancelTransaction: NonInviteClientTransaction | undefined;

  constructor(
    ctx: TransactionContext,
    branch: string,
    request: SipRequest,
    destination: Destination,
    handlers: ClientTransactionHandlers,
    sendOptions: SendOptions,
    private readonly startCancel: StartCancel,
  ) {
    super(ctx, branch, request, destination, handlers, sendOptions);
  }

  start(): void {
    this.sendRequest();
    const { T1 } = this.ctx.timers;
    // 17.1.1.2: Timer A (unreliable only) starts at T1 and doubles each time; Timer B = 64*T1
    if (!this.reliable) {
      this.#interval = T1;
      this.timerSet.start('A', T1, () => this.timerA());
    }
    this.timerSet.start('B', 64 * T1, () => this.timeout('B'));
  }

  private timerA(): void {
    if (this.state !== 'Calling') return;
    this.sendRequest();
    this.#interval *= 2;
    this.timerSet.start('A', this.#interval, () => this.timerA());
  }

  private timeout(timer: 'B' | 'cancel'): void {
    if (timer === 'B' && this.state !== 'Calling') return;
    const err = new TransactionTimeoutError(timer, this.method, this.branch);
    this.terminate();
    this.handlers.onTimeout?.(err);
  }

  /**
   * Cancel this INVITE (RFC 3261 9.1): the CANCEL goes out once a provisional response has
   * arrived (at once if one has), never after a final one. The INVITE itself then normally
   * ends with a 487 passed to onResponse.
   */
  cancel(options: CancelOptions = {}): CancelOutcome {
    if (this.state === 'Calling') {
      this.#pendingCancel = options;
      return 'pending';
    }
    if (this.state !== 'Proceeding' || this.cancelTransaction) return 'too-late';
    this.sendCancel(options);
    return 'sent';
  }

  private sendCancel(options: CancelOptions): void {
    const cancel = buildCancel(this.request, options.headers);
    this.cancelTransaction = this.startCancel(cancel, this.effectiveDestination, options.handlers ?? {}, this.sendOptions);
    // 9.1: without a final response 64*T1 after the CANCEL, the INVITE is given up
    this.timerSet.start('cancel', 64 * this.ctx.timers.T1, () => this.timeout('cancel'));
  }

  receiveResponse(res: SipResponse, incoming: IncomingResponse): void {
    const s = res.status;
    switch (this.state) {
      case 'Calling':
      case 'Proceeding':
        if (s < 200) {
          this.state = 'Proceeding';
          this.timerSet.stop('A');
          this.timerSet.stop('B');
          this.handlers.onResponse?.(res, incoming);
          if (this.#pendingCancel && !this.terminated && this.state === 'Proceeding') {
            const options = this.#pendingCancel;
            this.#pendingCancel = undefined;
            this.sendCancel(options);
          }
          return;
        }
        this.#pendingCancel = undefined;
        this.timerSet.stop('A');
        this.timerSet.stop('B');
        this.timerSet.stop('cancel');
        if (s < 300) {
          // RFC 6026 7.2: 2xx → Accepted, Timer M = 64*T1; the TU sends the ACK
          this.state = 'Accepted';
          this.timerSet.start('M', 64 * this.ctx.timers.T1, () => this.terminate());
          this.handlers.onResponse?.(res, incoming);
          return;
        }
        // 17.1.1.2: 300-699 → ACK, Completed, Timer D (32 s unreliable, 0 reliable)
        this.state = 'Completed';
        this.#ack = buildNon2xxAck(this.request, res);
        this.sendRequest(this.#ack);
        this.handlers.onResponse?.(res, incoming);
        if (this.terminated) return;
        if (this.reliable) this.terminate();
        else this.timerSet.start('D', this.ctx.timerD, () => this.terminate());
        return;
      case 'Completed':
        // 17.1.1.2: a retransmitted final response gets the ACK again and is not passed up
        if (s >= 300 && this.#ack) this.sendRequest(this.#ack);
        return;
      case 'Accepted':
        // RFC 6026 7.2: every further 2xx goes to the TU (it ACKs each); others are absorbed
        if (s >= 200 && s < 300) this.handlers.onResponse?.(res, incoming);
        return;
      case 'Terminated':
        return;
    }
  }

  protected setTerminatedState(): void {
    this.state = 'Terminated';
  }
}
