// The contract of an AT command channel (3GPP TS 27.007 4, ITU-T V.250 5): one command at a time,
// its information lines and final result, with unsolicited result codes (URCs) delivered apart
// even when they arrive between a command and its result. Drivers (at/, mediatek/) and the SIM
// over AT (+CSIM/+CGLA) use only this interface.

/** V.250 5.7.1 / 27.007 9.2: how a command ended */
export type AtFinal =
  | { kind: 'ok' }
  | { kind: 'error' }
  /** +CME ERROR: <n or text> (27.007 9.2) */
  | { kind: 'cme-error'; code: number | string }
  | { kind: 'cms-error'; code: number | string }
  /** NO CARRIER, BUSY, NO ANSWER, NO DIALTONE, CONNECT ... */
  | { kind: 'other'; text: string };

export interface AtResponse {
  /** the information lines, without the echo and the final result */
  lines: string[];
  final: AtFinal;
}

export interface AtCommandOptions {
  /** default: the channel's (e.g. 5000 ms); on expiry the promise rejects with AtTimeoutError */
  timeoutMs?: number;
  /** for commands that take a second line after "> " (e.g. +CMGS): the text to send then */
  continuation?: string;
  /** never log this command's parameters nor its response lines (the channel also sets it for AUTHENTICATE APDUs) */
  sensitive?: boolean;
}

export class AtError extends Error {
  constructor(
    readonly command: string,
    readonly final: AtFinal | undefined,
    message: string,
  ) {
    super(`${command}: ${message}`);
    this.name = 'AtError';
  }
}

export class AtTimeoutError extends AtError {
  override name = 'AtTimeoutError';
}

export interface AtChannelEvents {
  /** an unsolicited result code line, e.g. "+CGEV: NW ACT 5,6" */
  urc: (line: string) => void;
  /** the device went away (EOF, error): every pending command rejected */
  closed: (reason: string) => void;
}

export interface AtChannel {
  /**
   * Send `command` (without "AT" prefix handling: pass "AT+CGACT=1,5") and resolve with its
   * response; a final ERROR/+CME ERROR resolves too (check `final`), use `expectOk` to throw.
   */
  command(command: string, options?: AtCommandOptions): Promise<AtResponse>;
  on<E extends keyof AtChannelEvents>(event: E, listener: AtChannelEvents[E]): this;
  off<E extends keyof AtChannelEvents>(event: E, listener: AtChannelEvents[E]): this;
  close(): Promise<void>;
}
