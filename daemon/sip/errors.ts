// Typed SIP parse errors. `status` is the response a UAS should send (400, or 505 for
// an unsupported SIP version, RFC 3261 8.2.2? / 21.5.6), `where` names the offending part.
export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  constructor(
    message: string,
    readonly where: string,
    readonly status: 400 | 505 = 400,
  ) {
    super(`${where}: ${message}`);
  }
}
