// The host side of ue-runner.ts: starts it in the lab's UE namespace, sends commands, collects
// events, keeps its log in a file, and stops it with SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallInfo } from '../../../../../daemon/dbus/backend.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..', '..', '..', '..');

export interface UeEvent {
  at: number;
  /** the runner's performance.now() when it printed the event */
  t?: number;
  event: 'added' | 'changed' | 'removed' | 'reg' | 'media' | 'invite';
  call?: CallInfo;
  snapshot?: { state: string; [k: string]: unknown };
  record?: { op: string; session?: Record<string, unknown>; callId?: string; tones?: string };
}

export class CallUe {
  readonly events: UeEvent[] = [];
  readonly logFile: string;
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #log: WriteStream;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #exit: number | null | undefined;
  readonly exited: Promise<number | null>;

  constructor(namespace: string, config: Record<string, unknown>, workDir: string, name: string) {
    const cfgFile = join(workDir, `${name}.json`);
    writeFileSync(cfgFile, JSON.stringify(config), { mode: 0o600 });
    this.logFile = join(workDir, `${name}.log`);
    this.#log = createWriteStream(this.logFile);
    this.#proc = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', join(HERE, 'ue-runner.ts'), cfgFile], { cwd: REPO });
    let buf = '';
    this.#proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(line) as Record<string, unknown>;
        } catch {
          this.#log.write(`[stdout] ${line}\n`);
          continue;
        }
        if (typeof m.reply === 'number') {
          const p = this.#pending.get(m.reply);
          this.#pending.delete(m.reply);
          if (m.ok) p?.resolve(m.result);
          else p?.reject(Object.assign(new Error(String(m.error)), { code: m.code }));
        } else this.events.push({ at: Date.now(), ...(m as unknown as Omit<UeEvent, 'at'>) });
      }
    });
    this.#proc.stderr.on('data', (d: Buffer) => this.#log.write(d));
    this.exited = new Promise((res) =>
      this.#proc.on('exit', (code) => {
        this.#exit = code;
        this.#log.end();
        for (const p of this.#pending.values()) p.reject(new Error(`ue-runner exited (${code})`));
        res(code);
      }),
    );
  }

  request<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((res, rej) => {
      this.#pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      this.#proc.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** the first event at index >= from that matches */
  async waitFor(pred: (e: UeEvent) => boolean, timeoutMs: number, from = 0, what = 'event'): Promise<UeEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (this.#exit !== undefined) throw new Error(`ue-runner exited (${this.#exit}) while waiting for ${what}`);
      if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms; calls: ${this.callTrace()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  waitState(id: string, state: string, timeoutMs = 10_000, from = 0): Promise<UeEvent> {
    return this.waitFor((e) => e.call?.id === id && e.call.state === state, timeoutMs, from, `call ${id} ${state}`);
  }

  waitRemoved(id: string, timeoutMs = 10_000): Promise<UeEvent> {
    return this.waitFor((e) => e.event === 'removed' && e.call?.id === id, timeoutMs, 0, `call ${id} removed`);
  }

  /** states a call went through, in order */
  states(id: string): string[] {
    const s: string[] = [];
    for (const e of this.events) if (e.call?.id === id && s.at(-1) !== e.call.state) s.push(e.call.state);
    return s;
  }

  media(callId: string): Array<NonNullable<UeEvent['record']>> {
    return this.events.filter((e) => e.event === 'media' && (e.record?.callId === callId || e.record?.session?.callId === callId)).map((e) => e.record!);
  }

  callTrace(): string {
    return this.events.filter((e) => e.call).map((e) => `${e.call!.id}:${e.event}:${e.call!.state}${e.call!.information ? `(${e.call!.information})` : ""}`).join(' ');
  }

  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.#exit !== undefined) return this.#exit;
    this.#proc.kill('SIGTERM');
    const t = setTimeout(() => this.#proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
