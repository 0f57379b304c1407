// An in-memory AtChannel for the mediatek driver's unit tests: each command is answered by the first
// matching rule (lines and final result), every command is recorded, URCs and closing are injected.
import { EventEmitter } from 'node:events';
import type { AtChannel, AtChannelEvents, AtFinal, AtResponse } from '../../../../modem-drivers/at/types.js';
import { AtError } from '../../../../modem-drivers/at/types.js';

export interface Rule {
  match: string | RegExp;
  /** information lines; lines starting with "urc:" are emitted as URCs before the result instead */
  lines?: string[];
  final?: AtFinal;
  /** answer only once (then the next matching rule answers) */
  once?: boolean;
}

export class FakeChannel extends EventEmitter implements AtChannel {
  readonly sent: string[] = [];
  readonly rules: Rule[];
  closed = false;

  constructor(rules: Rule[]) {
    super();
    this.rules = [...rules];
  }

  override on<E extends keyof AtChannelEvents>(event: E, listener: AtChannelEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof AtChannelEvents>(event: E, listener: AtChannelEvents[E]): this {
    return super.off(event, listener);
  }

  async command(command: string): Promise<AtResponse> {
    if (this.closed) throw new AtError(command, undefined, 'channel closed');
    this.sent.push(command);
    await new Promise((r) => setImmediate(r));
    // like the real channel: a close rejects the command that waits for its answer
    if (this.closed) throw new AtError(command, undefined, 'channel closed: EOF');
    const i = this.rules.findIndex((r) => (typeof r.match === 'string' ? r.match === command : r.match.test(command)));
    if (i < 0) return { lines: [], final: { kind: 'error' } };
    const rule = this.rules[i]!;
    if (rule.once) this.rules.splice(i, 1);
    const lines: string[] = [];
    for (const l of rule.lines ?? []) {
      if (l.startsWith('urc:')) this.emit('urc', l.slice(4));
      else lines.push(l);
    }
    return { lines, final: rule.final ?? { kind: 'ok' } };
  }

  urc(line: string): void {
    this.emit('urc', line);
  }

  drop(reason = 'EOF'): void {
    this.closed = true;
    this.emit('closed', reason);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** lets queued URC handling and its commands run */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
