// A configuration error names the file, the line (when one is to blame) and the reason, so
// `imsd` can refuse to start with a message the user can act on.
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
  }
}

/** A setting that is valid but whose implementation comes with a later release. */
export class NotAvailableError extends ConfigError {
  override name = 'NotAvailableError';
}
