// Non-INVITE server transaction, RFC 3261 17.2.2 (Figure 8).
import type { SipResponse } from '../message.js';
import { TransactionStateError } from './errors.js';
import { ServerTransactionBase } from './server-transaction.js';
import type { IncomingRequest } from './types.js';

export type NonInviteServerState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export class NonInviteServerTransaction extends ServerTransactionBase {
  readonly kind = 'non-invite' as const;
  state: NonInviteServerState = 'Trying';

  respond(res: SipResponse): void {
    if (this.state === 'Completed' || this.state === 'Terminated')
      throw new TransactionStateError(`${this.method} ${this.branch}: response ${res.status} after the final response`);
    this.lastResponse = res;
    if (res.status < 200) {
      this.state = 'Proceeding';
      this.sendResponse(res);
      return;
    }
    this.state = 'Completed';
    this.sendResponse(res);
    if (this.terminated) return;
    // 17.2.2: Timer J = 64*T1 on unreliable transports, 0 on reliable ones
    if (this.reliable) this.terminate();
    else this.timerSet.start('J', 64 * this.ctx.timers.T1, () => this.terminate());
  }

  receiveRequest(_incoming: IncomingRequest): void {
    // 17.2.2: a retransmission is discarded in Trying, answered with the last response in
    // Proceeding and Completed
    if ((this.state === 'Proceeding' || this.state === 'Completed') && this.lastResponse) this.sendResponse(this.lastResponse);
  }

  protected setTerminatedState(): void {
    this.state = 'Terminated';
  }
}
