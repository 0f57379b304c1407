// Typed errors of the user agent layer.
export class UserAgentError extends Error {
  override readonly name = 'UserAgentError';
}
