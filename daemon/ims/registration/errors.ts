// Typed errors and failure outcomes of IMS registration.

export type SecAgreeErrorKind = 'missing' | 'unsupported' | 'malformed';

/** Security-Server missing, malformed or offering nothing we support (RFC 3329, TS 33.203 annex H). */
export class SecAgreeError extends Error {
  constructor(
    message: string,
    readonly kind: SecAgreeErrorKind = 'malformed',
  ) {
    super(message);
    this.name = 'SecAgreeError';
  }
}

/** A reginfo document (RFC 3680) that cannot be used. */
export class ReginfoError extends Error {
  override name = 'ReginfoError';
}

/** A command the registration cannot carry out in its present state. */
export class RegistrationStateError extends Error {
  override name = 'RegistrationStateError';
}
