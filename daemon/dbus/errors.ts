// oFono's D-Bus errors (ofono src/dbus.c: __ofono_error_*): every failure a client sees is one
// of these names, never a library-internal error with a stack trace.

export type OfonoErrorName =
  | 'InvalidArguments'
  | 'InvalidFormat'
  | 'NotImplemented'
  | 'Failed'
  | 'InProgress'
  | 'NotFound'
  | 'NotActive'
  | 'NotSupported'
  | 'NotAllowed'
  | 'AccessDenied'
  | 'Busy';

export const OFONO_ERROR_PREFIX = 'org.ofono.Error.';

/** A failure to return to the D-Bus caller as org.ofono.Error.<name>. */
export class OfonoError extends Error {
  constructor(
    readonly errorName: OfonoErrorName,
    message: string,
  ) {
    super(message);
    this.name = 'OfonoError';
  }

  get dbusName(): string {
    return OFONO_ERROR_PREFIX + this.errorName;
  }
}

export const invalidArguments = (message = 'Invalid arguments in method call'): OfonoError =>
  new OfonoError('InvalidArguments', message);
export const invalidFormat = (message = 'Argument format is not recognized'): OfonoError =>
  new OfonoError('InvalidFormat', message);
export const notImplemented = (what: string): OfonoError =>
  new OfonoError('NotImplemented', `${what} is not implemented by imsd yet`);
