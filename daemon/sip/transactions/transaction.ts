// What every transaction shares: its context (clock, timer base values, sender), its named
// timers, transmission with transport-error capture, and a single, final termination.
import type { Clock } from '../clock.js';
import type { SipMessage } from '../message.js';
import { TransactionTransportError } from './errors.js';
import { TimerSet } from './timers.js';
import type { Destination, SendOptions, Sender, TimerValues } from './types.js';

export interface TransactionContext {
  clock: Clock;
  timers: TimerValues;
  /** Timer D for unreliable transports (RFC 3261 17.1.1.2: at least 32 s) */
  timerD: number;
  sender: Sender;
  /** called exactly once when a transaction terminates, so the layer forgets it */
  forget(tx: Transaction): void;
}

/** What both client and server TUs may be told by any transaction. */
export interface TransactionEndHandlers {
  onTransportError?(error: TransactionTransportError): void;
  onTerminated?(): void;
}

export abstract class Transaction {
  abstract readonly state: string;
  protected abstract readonly handlers: TransactionEndHandlers;
  protected readonly timerSet: TimerSet;
  #terminated = false;

  constructor(
    protected readonly ctx: TransactionContext,
    /** the branch of the top Via */
    readonly branch: string,
    readonly method: string,
  ) {
    this.timerSet = new TimerSet(ctx.clock);
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** RFC 3261 17: retransmissions happen only over unreliable transports */
  protected abstract get reliable(): boolean;

  /** Pass a message to the transport; a failure ends up in transportFailed (unless terminated by then). */
  protected transmit(msg: SipMessage, dest: Destination, options: SendOptions): void {
    let result: Promise<unknown> | void;
    try {
      result = this.ctx.sender(msg, dest, options);
    } catch (e) {
      this.onSendFailure(e);
      return;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function')
      (result as Promise<unknown>).then(
        (r) => {
          if (!this.#terminated) this.sent(r);
        },
        (e: unknown) => this.onSendFailure(e),
      );
  }

  /** What the sender resolved with (a Transport's SendResult says which protocol it used). */
  protected sent(_result: unknown): void {}

  private onSendFailure(cause: unknown): void {
    if (this.#terminated) return;
    this.transportFailed(cause);
  }

  /** RFC 3261 17.1.4 / 17.2.4: end the transaction and tell the TU */
  protected transportFailed(cause: unknown): void {
    const err = new TransactionTransportError(this.method, this.branch, cause);
    this.terminate();
    this.handlers.onTransportError?.(err);
  }

  /** End the transaction now (e.g. on shutdown): timers cleared, onTerminated called. */
  destroy(): void {
    this.terminate();
  }

  /** Enter "Terminated": clear every timer, let the layer forget it, tell the TU. */
  protected terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.setTerminatedState();
    this.timerSet.clearAll();
    this.ctx.forget(this);
    this.terminatedHook();
  }

  protected abstract setTerminatedState(): void;

  protected terminatedHook(): void {
    this.handlers.onTerminated?.();
  }
}
