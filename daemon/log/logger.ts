// imsd's logger: winston underneath, one line per event on stdout, each line prefixed with its
// syslog priority (`<3>` for error … `<7>` for debug; sd-daemon(3)) so journald files it at the
// right level when imsd runs as a systemd service. Lines read
//   <6>[ims/registration] registered expires=600000 impu=sip:+15551234@ims.example
// Secrets never reach the line: see redact.ts.
import type { Writable } from 'node:stream';
import winston from 'winston';
import { renderValue, scrub } from './redact.js';

export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger for a sub-component; its lines are tagged `[parent/name]`. */
  child(component: string): Logger;
  isEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** where lines go; stdout by default */
  stream?: Writable;
  component?: string;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** syslog priority of a level (RFC 5424 6.2.1): emerg 0 … debug 7 */
export function syslogPriority(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

const META = Symbol('imsd-fields');
const COMPONENT = Symbol('imsd-component');

interface Entry extends winston.Logform.TransformableInfo {
  [META]?: LogFields;
  [COMPONENT]?: string;
}

export function formatLine(level: LogLevel, component: string | undefined, message: string, fields?: LogFields): string {
  const head = `<${syslogPriority(level)}>${component ? `[${component}] ` : ''}`;
  const tail = fields
    ? Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}=${renderValue(k, v)}`).join('')
    : '';
  // Messages are single lines: a newline inside would start a new journald record at priority 6.
  return scrub(`${head}${message.replace(/\r?\n/g, '\\n')}${tail}`);
}

const lineFormat = winston.format.printf((info) => {
  const e = info as Entry;
  return formatLine(e.level as LogLevel, e[COMPONENT], String(e.message), e[META]);
});

class WinstonLogger implements Logger {
  readonly #w: winston.Logger;
  readonly #component: string | undefined;

  constructor(w: winston.Logger, component: string | undefined) {
    this.#w = w;
    this.#component = component;
  }

  #log(level: LogLevel, message: string, fields?: LogFields): void {
    if (!this.isEnabled(level)) return;
    this.#w.log({ level, message, [META]: fields, [COMPONENT]: this.#component } as winston.LogEntry);
  }

  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  warning(message: string, fields?: LogFields): void {
    this.#log('warning', message, fields);
  }

  notice(message: string, fields?: LogFields): void {
    this.#log('notice', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }

  child(component: string): Logger {
    return new WinstonLogger(this.#w, this.#component ? `${this.#component}/${component}` : component);
  }

  isEnabled(level: LogLevel): boolean {
    return syslogPriority(level) <= syslogPriority(this.#w.level as LogLevel);
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!isLogLevel(level)) throw new RangeError(`unknown log level "${String(level)}" (use one of ${LOG_LEVELS.join(', ')})`);
  const w = winston.createLogger({
    levels: winston.config.syslog.levels,
    level,
    format: lineFormat,
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stdout })],
  });
  return new WinstonLogger(w, options.component);
}

/** A logger that drops everything (the default for library code that was given none). */
export const silentLogger: Logger = {
  error: () => undefined,
  warning: () => undefined,
  notice: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
  isEnabled: () => false,
};
