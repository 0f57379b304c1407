// Typed errors of the PC/SC SIM. Messages name the cause, the reader and the status word, never
// key material or response data.
import { AuthError } from '../errors.js';
import { describeSw, formatSw } from './pcsc-status-words.js';

/** The card answered a command with a status word that ends the operation. */
export class CardStatusError extends AuthError {
  readonly sw: number;
  readonly command: string;

  constructor(command: string, sw: number) {
    super(`card answered ${command} with status ${formatSw(sw)} (${describeSw(sw)})`);
    this.sw = sw;
    this.command = command;
  }
}

/** A file's content or a response does not have the form the spec prescribes. */
export class CardDataError extends AuthError {}

/** The card has neither an ISIM nor a USIM application. */
export class NoImsApplicationError extends AuthError {}

export type ReaderErrorCause =
  | 'no-service' // pcscd not running or its socket not reachable
  | 'no-reader' // no reader, or none with the configured name
  | 'no-card' // reader present but empty
  | 'removed' // card or reader went away during use
  | 'sharing-violation' // another process holds the card exclusively
  | 'unresponsive' // card does not answer
  | 'closed' // the PcscSim was closed
  | 'io'; // any other PC/SC failure

/** The reader or the PC/SC service failed; `cause` says how. */
export class ReaderError extends AuthError {
  override readonly cause: ReaderErrorCause;
  readonly reader: string | undefined;

  constructor(cause: ReaderErrorCause, message: string, reader?: string) {
    super(message);
    this.cause = cause;
    this.reader = reader;
  }
}

// pcsc-lite's SCARD_* codes, as the `smartcard` binding spells them in its error messages
// (it throws plain Errors whose message is the code's description).
const NATIVE_CAUSES: [RegExp, ReaderErrorCause][] = [
  [/service not running|service stopped/i, 'no-service'],
  [/no readers available|unknown reader/i, 'no-reader'],
  [/card was removed|reader unavailable|no smart card present|card was reset|card is unpowered|not connected/i, 'removed'],
  [/sharing violation/i, 'sharing-violation'],
  [/unresponsive|timed out/i, 'unresponsive'],
];

/** Maps an error thrown by the `smartcard` binding during `operation` to a ReaderError. */
export function readerErrorFromNative(e: unknown, operation: string, reader?: string): ReaderError {
  if (e instanceof ReaderError) return e;
  const text = e instanceof Error ? e.message : String(e);
  const cause = NATIVE_CAUSES.find(([re]) => re.test(text))?.[1] ?? 'io';
  const where = reader !== undefined ? ` on reader "${reader}"` : '';
  return new ReaderError(cause, `PC/SC ${operation} failed${where}: ${text} (${cause})`, reader);
}
