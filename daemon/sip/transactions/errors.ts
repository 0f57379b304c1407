// Typed errors the transaction layer reports to the TU.

/** Which RFC 3261 / RFC 6026 timer ended a transaction without the expected message. */
export type TimeoutTimer = 'B' | 'F' | 'H' | 'cancel';

export class TransactionTimeoutError extends Error {
  override readonly name = 'TransactionTimeoutError';
  constructor(
    readonly timer: TimeoutTimer,
    readonly method: string,
    readonly branch: string,
  ) {
    super(
      timer === 'H'
        ? `${method} ${branch}: Timer H fired, no ACK for the final response`
        : timer === 'cancel'
          ? `${method} ${branch}: no final response 64*T1 after CANCEL`
          : `${method} ${branch}: Timer ${timer} fired, no final response`,
    );
  }
}

export class TransactionTransportError extends Error {
  override readonly name = 'TransactionTransportError';
  constructor(
    readonly method: string,
    readonly branch: string,
    override readonly cause: unknown,
  ) {
    super(`${method} ${branch}: transport error: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A TU call that the state of the transaction does not allow (e.g. a response after the final one). */
export class TransactionStateError extends Error {
  override readonly name = 'TransactionStateError';
}
