// Typed errors of the lab HSS. Messages name the field or the subscriber, never key material.

/** The HSS config or the subscribers file is malformed. */
export class HssConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HssConfigError';
  }
}
