// INVITE server transaction, RFC 3261 17.2.1 (Figure 7) as updated by RFC 6026 7.1 (a 2xx
// moves it to "Accepted" with Timer L instead of terminating it).
import type { SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { TransactionStateError, TransactionTimeoutError } from './errors.js';
import { ServerTransactionBase } from './server-transaction.js';
import type { TransactionContext } from './transaction.js';
import type { IncomingRequest } from './types.js';

export type InviteServerState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';

export interface InviteServerOptions {
  /** 17.2.1: send 100 Trying unless the TU answers within this many ms (undefined: never) */
  autoTryingMs?: number;
  /** an ACK matching the transaction in Accepted goes to the TU (RFC 6026 7.1) */
  passAck(ack: IncomingRequest): void;
  /** a fresh To tag for a 487 the layer sends itself */
  newTag(): string;
}

export class InviteServerTransaction extends ServerTransactionBase {
  readonly kind = 'invite' as const;
  state: InviteServerState = 'Proceeding';
  /** set once a CANCEL matched it (RFC 3261 9.2) */
  cancelled = false;
  #interval = 0;

  constructor(
    ctx: TransactionContext,
    branch: string,
    incoming: IncomingRequest,
    private readonly options: InviteServerOptions,
  ) {
    super(ctx, branch, incoming);
    if (options.autoTryingMs !== undefined)
      this.timerSet.start('Trying', options.autoTryingMs, () => {
        if (this.state === 'Proceeding' && !this.lastResponse) this.respond(createResponse(this.request, 100));
      });
  }

  /** The To tag of the last response sent (for the 200 to a CANCEL, RFC 3261 9.2). */
  get toTag(): string | undefined {
    return this.lastResponse?.toTag;
  }

  respond(res: SipResponse): void {
    this.timerSet.stop('Trying');
    const s = res.status;
    switch (this.state) {
      case 'Proceeding':
        this.lastResponse = res;
        if (s < 200) {
          this.sendResponse(res);
          return;
        }
        if (s < 300) {
          // RFC 6026 7.1: 2xx → Accepted, Timer L = 64*T1; the TU retransmits the 2xx
          // (RFC 3261 13.3.1.4, see TransactionLayer.retransmit2xx)
          this.state = 'Accepted';
          this.timerSet.start('L', 64 * this.ctx.timers.T1, () => this.terminate());
          this.sendResponse(res);
          return;
        }
        // 17.2.1: 300-699 → Completed, Timer G (unreliable) from T1, Timer H = 64*T1
        this.state = 'Completed';
        this.sendResponse(res);
        if (this.terminated) return;
        if (!this.reliable) {
          this.#interval = this.ctx.timers.T1;
          this.timerSet.start('G', this.#interval, () => this.timerG());
        }
        this.timerSet.start('H', 64 * this.ctx.timers.T1, () => this.timerH());
        return;
      case 'Accepted':
        // RFC 6026 7.1: further 2xx from the TU (retransmissions, other forks) are sent
        if (s >= 200 && s < 300) {
          this.sendResponse(res);
          return;
        }
        break;
      default:
        break;
    }
    throw new TransactionStateError(`INVITE ${this.branch}: cannot send ${s} in state ${this.state}`);
  }

  private timerG(): void {
    if (this.state !== 'Completed' || !this.lastResponse) return;
    this.sendResponse(this.lastResponse);
    // 17.2.1: doubles up to T2
    this.#interval = Math.min(2 * this.#interval, this.ctx.timers.T2);
    this.timerSet.start('G', this.#interval, () => this.timerG());
  }

  private timerH(): void {
    if (this.state !== 'Completed') return;
    const err = new TransactionTimeoutError('H', this.method, this.branch);
    this.terminate();
    this.handlers.onTimeout?.(err);
  }

  receiveRequest(incoming: IncomingRequest): void {
    const req: SipRequest = incoming.message;
    if (req.method === 'ACK') {
      if (this.state === 'Completed') {
        // 17.2.1: ACK → Confirmed; Timer I = T4 unreliable, 0 reliable
        this.state = 'Confirmed';
        this.timerSet.stop('G');
        this.timerSet.stop('H');
        if (this.reliable) this.terminate();
        else this.timerSet.start('I', this.ctx.timers.T4, () => this.terminate());
      } else if (this.state === 'Accepted') {
        this.options.passAck(incoming);
      }
      // Confirmed: ACK retransmissions absorbed
      return;
    }
    // a retransmitted INVITE: 17.2.1 re-send the last provisional (Proceeding) or the final
    // response (Completed); RFC 6026 7.1: absorbed in Accepted; Confirmed: absorbed
    if ((this.state === 'Proceeding' || this.state === 'Completed') && this.lastResponse) this.sendResponse(this.lastResponse);
  }

  /** Called by the layer when a CANCEL matched this transaction (RFC 3261 9.2). */
  cancelReceived(cancel: SipRequest): void {
    if (this.state !== 'Proceeding' || this.cancelled) return;
    this.cancelled = true;
    if (this.handlers.onCancel) this.handlers.onCancel(cancel);
    else this.respond(createResponse(this.request, 487, { toTag: this.toTag ?? this.options.newTag() }));
  }

  protected setTerminatedState(): void {
    this.state = 'Terminated';
  }
}
