// Typed errors of the Diameter codec. Each names what was wrong and where in the input.

export type DiameterDecodeErrorKind =
  | 'truncated-header'
  | 'unsupported-version'
  | 'bad-message-length'
  | 'truncated-avp'
  | 'bad-avp-length'
  | 'bad-avp-value';

export class DiameterDecodeError extends Error {
  constructor(
    readonly kind: DiameterDecodeErrorKind,
    message: string,
    /** Byte offset in the decoded buffer where the problem was found. */
    readonly offset: number,
  ) {
    super(`${kind} at byte ${offset}: ${message}`);
    this.name = 'DiameterDecodeError';
  }
}

/** A Diameter AVP that a command requires is missing or has the wrong form. */
export class DiameterAvpError extends Error {
  constructor(
    readonly code: number,
    readonly vendorId: number | undefined,
    message: string,
    /** RFC 6733 7.1.5: 5005 DIAMETER_MISSING_AVP or 5004 DIAMETER_INVALID_AVP_VALUE. */
    readonly resultCode: 5004 | 5005 = 5005,
  ) {
    super(message);
    this.name = 'DiameterAvpError';
  }
}
