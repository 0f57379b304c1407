// An AtChannel over any duplex byte stream (a serial device, a pseudo-terminal, a socket): one
// command at a time from a queue, its echo skipped, information lines collected until the final
// result code (V.250 5.7.1, 27.007 9.2), URCs emitted apart even between a command and its result,
// "> " continuation (27.005 3.5.1), a timeout per command after which the channel resynchronises
// with a plain "AT" before the next command, and every pending command rejected on close/EOF.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { silentLogger, type Logger } from '../../daemon/log/logger.js';
import { LineReader } from './line-reader.js';
import { isSensitiveCommand, loggableCommand } from './redact.js';
import { commandPrefix, DEFAULT_URC_PREFIXES, describeFinal, isUrc, parseFinal } from './result-codes.js';
import { AtError, AtTimeoutError, type AtChannel, type AtChannelEvents, type AtCommandOptions, type AtResponse } from './types.js';

export interface AtStreamChannelOptions {
  /** default timeout of a command (ms); default 5000 */
  timeoutMs?: number;
  /** URC line prefixes (default: DEFAULT_URC_PREFIXES); a driver adds its vendor's */
  urcPrefixes?: readonly string[];
  logger?: Logger;
  /** a name for log lines and errors, e.g. the device path */
  name?: string;
}

export type AtStreamCommandOptions = AtCommandOptions;

interface Pending {
  command: string;
  options: AtStreamCommandOptions;
  sensitive: boolean;
  resolve: (r: AtResponse) => void;
  reject: (e: Error) => void;
}

interface Running extends Pending {
  prefix: string | undefined;
  lines: string[];
  timer: NodeJS.Timeout;
  /** the continuation was already sent */
  continued: boolean;
  /** an internal resynchronisation "AT" */
  internal: boolean;
}

/** ASCII SUB: ends the text after a "> " prompt (27.005 3.5.1) */
const CTRL_Z = '\x1a';

export class AtStreamChannel extends EventEmitter implements AtChannel {
  readonly #stream: Duplex;
  readonly #reader = new LineReader();
  readonly #queue: Pending[] = [];
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #name: string;
  #urcPrefixes: readonly string[];
  #running: Running | undefined;
  #closed: string | undefined;
  /** a command timed out: its late answer may still arrive, so resynchronise first */
  #resync = false;

  constructor(stream: Duplex, options: AtStreamChannelOptions = {}) {
    super();
    this.#stream = stream;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#urcPrefixes = options.urcPrefixes ?? DEFAULT_URC_PREFIXES;
    this.#log = (options.logger ?? silentLogger).child('at');
    this.#name = options.name ?? 'modem';
    stream.on('data', (chunk: Buffer | string) => this.#onData(chunk));
    stream.on('end', () => this.#shutdown('end of file from the modem'));
    stream.on('close', () => this.#shutdown('the modem device was closed'));
    stream.on('error', (e: Error) => this.#shutdown(`modem device error: ${e.message}`));
  }

  override on<E extends keyof AtChannelEvents>(event: E, listener: AtChannelEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof AtChannelEvents>(event: E, listener: AtChannelEvents[E]): this {
    return super.off(event, listener);
  }

  /** Add URC prefixes (a vendor driver's) to the table. */
  addUrcPrefixes(prefixes: readonly string[]): void {
    this.#urcPrefixes = [...this.#urcPrefixes, ...prefixes.filter((p) => !this.#urcPrefixes.includes(p))];
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  command(command: string, options: AtStreamCommandOptions = {}): Promise<AtResponse> {
    if (this.#closed !== undefined) return Promise.reject(new AtError(command, undefined, `channel to ${this.#name} is closed (${this.#closed})`));
    if (/[\r\n]/.test(command)) return Promise.reject(new AtError(command.split(/[\r\n]/)[0]!, undefined, 'a command must be one line'));
    return new Promise<AtResponse>((resolve, reject) => {
      const sensitive = options.sensitive === true || isSensitiveCommand(command);
      this.#queue.push({ command, options, sensitive, resolve, reject });
      this.#next();
    });
  }

  async close(): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#shutdown('closed by imsd');
    await new Promise<void>((resolve) => {
      if (this.#stream.destroyed) return resolve();
      this.#stream.once('close', () => resolve());
      this.#stream.destroy();
      // a stream that never reports 'close' must not hold close() forever
      setTimeout(resolve, 1000).unref();
    });
  }

  #next(): void {
    if (this.#running || this.#closed !== undefined) return;
    if (this.#resync && this.#queue.length > 0) {
      this.#resync = false;
      this.#start({ command: 'AT', options: { timeoutMs: Math.min(this.#timeoutMs, 2000) }, sensitive: false, resolve: () => undefined, reject: () => undefined }, true);
      return;
    }
    const p = this.#queue.shift();
    if (p) this.#start(p, false);
  }

  #start(p: Pending, internal: boolean): void {
    const timeoutMs = p.options.timeoutMs ?? this.#timeoutMs;
    const timer = setTimeout(() => this.#onTimeout(), timeoutMs);
    this.#running = { ...p, prefix: commandPrefix(p.command), lines: [], timer, continued: false, internal };
    this.#log.debug(internal ? 'resync >' : '>', { command: loggableCommand(p.command, p.sensitive) });
    // V.250 5.2.1: a command line ends with S3 (CR)
    this.#stream.write(`${p.command}\r`);
  }

  #onTimeout(): void {
    const r = this.#running;
    if (!r) return;
    this.#running = undefined;
    this.#reader.reset();
    this.#resync = true;
    this.#log.warning('command timed out', { command: loggableCommand(r.command, r.sensitive), lines: r.lines.length });
    if (r.internal) {
      // the modem does not even answer "AT": the command waiting for it fails the same way (the
      // next command then is the probe itself)
      this.#resync = false;
      const head = this.#queue.shift();
      head?.reject(new AtTimeoutError(head.command, undefined, `${this.#name} does not answer (not even "AT")`));
      this.#next();
      return;
    }
    r.reject(new AtTimeoutError(r.command, undefined, `no final result code from ${this.#name} within ${r.options.timeoutMs ?? this.#timeoutMs} ms`));
    this.#next();
  }

  #onData(chunk: Buffer | string): void {
    for (const ev of this.#reader.push(chunk)) {
      if (ev.kind === 'garbage') {
        this.#log.warning('garbage from the modem ignored', { bytes: ev.bytes, reason: ev.reason });
      } else if (ev.kind === 'prompt') {
        this.#onPrompt();
      } else {
        this.#onLine(ev.text);
      }
    }
  }

  #onPrompt(): void {
    const r = this.#running;
    if (!r || r.continued || r.options.continuation === undefined) {
      this.#log.warning('unexpected "> " prompt ignored', r ? { command: loggableCommand(r.command, r.sensitive) } : {});
      return;
    }
    r.continued = true;
    this.#log.debug('> (continuation)', { chars: r.options.continuation.length });
    this.#stream.write(`${r.options.continuation}${CTRL_Z}`);
  }

  #onLine(line: string): void {
    const r = this.#running;
    if (r === undefined) {
      // Nothing is running: every line is unsolicited (a final code here is a late answer).
      if (parseFinal(line) !== undefined && !isUrc(line, this.#urcPrefixes, undefined)) {
        this.#log.debug('late final result ignored', { line });
        return;
      }
      this.#emitUrc(line);
      return;
    }
    // the echo of the command (ATE1), before any response line
    if (r.lines.length === 0 && line.toUpperCase() === r.command.toUpperCase()) return;
    if (isUrc(line, this.#urcPrefixes, r.prefix)) {
      this.#emitUrc(line);
      return;
    }
    const final = parseFinal(line);
    if (final === undefined) {
      this.#log.debug('<', { line: r.sensitive ? '(not logged)' : line });
      r.lines.push(line);
      return;
    }
    clearTimeout(r.timer);
    this.#running = undefined;
    this.#log.debug('< final', { result: describeFinal(final) });
    if (r.internal) this.#reader.reset();
    r.resolve({ lines: r.lines, final });
    this.#next();
  }

  #emitUrc(line: string): void {
    this.#log.debug('urc', { line });
    this.emit('urc', line);
  }

  #shutdown(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    const r = this.#running;
    this.#running = undefined;
    const all: Pending[] = [...(r ? [r] : []), ...this.#queue.splice(0)];
    if (r) clearTimeout(r.timer);
    for (const p of all) p.reject(new AtError(p.command, undefined, `channel to ${this.#name} closed: ${reason}`));
    this.#log.info('AT channel closed', { reason, rejected: all.length });
    this.emit('closed', reason);
  }
}

/** Throws AtError unless the command ended with OK; returns the information lines. */
export function expectOk(command: string, response: AtResponse): string[] {
  if (response.final.kind !== 'ok') throw new AtError(command, response.final, describeFinal(response.final));
  return response.lines;
}

/** channel.command() and expectOk() in one step */
export async function run(channel: AtChannel, command: string, options?: AtCommandOptions): Promise<string[]> {
  return expectOk(command, await channel.command(command, options));
}
