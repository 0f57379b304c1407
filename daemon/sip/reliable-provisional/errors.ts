// Typed errors of the RFC 3262 layer.
export class ReliableProvisionalError extends Error {
  override readonly name = 'ReliableProvisionalError';
}
