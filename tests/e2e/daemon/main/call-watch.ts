// A D-Bus client of imsd for the call tests: it records every signal imsd sends (CallAdded,
// CallRemoved, the calls' PropertyChanged) with the time it arrived, and waits for conditions on
// them or on GetCalls. It is a client like any dialer (dbus-next through daemon/dbus/binding.ts).
import { connectBus, type BusConnection, type SignalMessage } from '../../../../daemon/dbus/binding.js';
import { ImsdClient, show, type Properties } from '../../../../daemon/dbus/client.js';

export interface SeenSignal extends SignalMessage {
  /** Date.now() with sub-millisecond precision, when the signal was read off the bus */
  at: number;
}

/** wall clock with sub-millisecond precision (the same clock as a capture's timestamps) */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class CallWatch {
  readonly signals: SeenSignal[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(
    readonly conn: BusConnection,
    readonly client: ImsdClient,
    private readonly unsubscribe: () => Promise<void>,
  ) {}

  static async open(busAddress: string, busName: string, modemPath: string): Promise<CallWatch> {
    const conn = await connectBus(busAddress);
    // signals that arrive before the watch exists wait here
    const to: { watch?: CallWatch; early: SeenSignal[] } = { early: [] };
    const unsubscribe = await conn.subscribe({ sender: busName }, (s) => {
      const seen = { ...s, at: nowMs() };
      if (to.watch) to.watch.#push(seen);
      else to.early.push(seen);
    });
    const client = await ImsdClient.locate(conn, busName, modemPath);
    const watch = new CallWatch(conn, client, unsubscribe);
    for (const s of to.early) watch.#push(s);
    to.watch = watch;
    return watch;
  }

  #push(s: SeenSignal): void {
    this.signals.push(s);
    for (const w of this.#waiters) w();
  }

  /** the index to pass to `since` for "from now on" */
  mark(): number {
    return this.signals.length;
  }

  /** resolves with the first signal from index `from` on that matches */
  signal(pred: (s: SeenSignal) => boolean, timeoutMs: number, from = 0, what = 'a signal'): Promise<SeenSignal> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.signals.slice(from).find(pred);
        if (hit) {
          done();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; signals seen:\n${this.describe(from)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  callAdded(from: number, timeoutMs = 10_000): Promise<SeenSignal> {
    return this.signal((s) => s.member === 'CallAdded', timeoutMs, from, 'CallAdded');
  }

  callRemoved(path: string, from: number, timeoutMs = 10_000): Promise<SeenSignal> {
    return this.signal((s) => s.member === 'CallRemoved' && s.body[0] === path, timeoutMs, from, `CallRemoved ${path}`);
  }

  /** VoiceCall.PropertyChanged(name, value) of one call */
  property(path: string, name: string, value: string, from: number, timeoutMs = 10_000): Promise<SeenSignal> {
    return this.signal(
      (s) => s.path === path && s.member === 'PropertyChanged' && s.body[0] === name && show(s.body[1]) === value,
      timeoutMs,
      from,
      `${path} ${name} = ${value}`,
    );
  }

  /** the values a call's property took, in order, from its PropertyChanged signals */
  history(path: string, name: string, from = 0): string[] {
    return this.signals.slice(from).filter((s) => s.path === path && s.member === 'PropertyChanged' && s.body[0] === name).map((s) => show(s.body[1]));
  }

  calls(): Promise<[string, Properties][]> {
    return this.client.calls();
  }

  async waitForNoCalls(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const calls = await this.calls();
      if (calls.length === 0) return;
      if (Date.now() > end) throw new Error(`calls still listed after ${timeoutMs} ms: ${calls.map(([p, c]) => `${p} ${show(c.State)}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  describe(from = 0): string {
    return this.signals
      .slice(from)
      .map((s) => `  ${s.path} ${s.member} ${s.body.map(show).join(' ')}`)
      .join('\n');
  }

  async close(): Promise<void> {
    await this.unsubscribe().catch(() => undefined);
    this.conn.close();
  }
}
