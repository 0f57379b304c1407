// Typed errors of the dialog layer.

/** A request that cannot be built or sent in the dialog's present state. */
export class DialogStateError extends Error {
  override readonly name = 'DialogStateError';
}

/**
 * A request received in a dialog that must be rejected; `status` is the response to send
 * (500 for an out-of-order CSeq, RFC 3261 12.2.2; 481 when no dialog matches, 12.2.2).
 */
export class DialogRequestRejected extends Error {
  override readonly name = 'DialogRequestRejected';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
