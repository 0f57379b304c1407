// Non-INVITE client transaction, RFC 3261 17.1.2.2 (Figure 6).
import type { SipResponse } from '../message.js';
import { ClientTransactionBase } from './client-transaction.js';
import { TransactionTimeoutError } from './errors.js';
import type { IncomingResponse } from './types.js';

export type NonInviteClientState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export class NonInviteClientTransaction extends ClientTransactionBase {
  readonly kind = 'non-invite' as const;
  state: NonInviteClientState = 'Trying';
  #interval = 0;

  start(): void {
    this.sendRequest();
    const { T1 } = this.ctx.timers;
    // 17.1.2.2: Timer E (unreliable only) starts at T1; Timer F = 64*T1 for any transport
    if (!this.reliable) {
      this.#interval = T1;
      this.timerSet.start('E', T1, () => this.timerE());
    }
    this.timerSet.start('F', 64 * T1, () => this.timerF());
  }

  private timerE(): void {
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return;
    this.sendRequest();
    // 17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2
    const { T2 } = this.ctx.timers;
    this.#interval = this.state === 'Trying' ? Math.min(2 * this.#interval, T2) : T2;
    this.timerSet.start('E', this.#interval, () => this.timerE());
  }

  private timerF(): void {
    if (this.state !== 'Trying' && this.state !== 'Proceeding') return;
    const err = new TransactionTimeoutError('F', this.method, this.branch);
    this.terminate();
    this.handlers.onTimeout?.(err);
  }

  receiveResponse(res: SipResponse, incoming: IncomingResponse): void {
    if (this.state === 'Completed' || this.state === 'Terminated') return; // 17.1.2.2: retransmitted finals absorbed
    if (res.status < 200) {
      this.state = 'Proceeding';
      this.handlers.onResponse?.(res, incoming);
      return;
    }
    this.state = 'Completed';
    this.timerSet.stop('E');
    this.timerSet.stop('F');
    this.handlers.onResponse?.(res, incoming);
    // 17.1.2.2: Timer K = T4 on unreliable transports, 0 on reliable ones
    if (this.reliable) this.terminate();
    else this.timerSet.start('K', this.ctx.timers.T4, () => this.terminate());
  }

  protected setTerminatedState(): void {
    this.state = 'Terminated';
  }
}
