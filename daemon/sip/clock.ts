// The clock the sans-I/O SIP core is given: every timer (RFC 3261 Timers A–K, reliable
// provisional retransmission, session and subscription refreshes) goes through it, so tests
// can drive time by hand with FakeClock instead of waiting.

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** milliseconds since an arbitrary epoch, monotonic */
  now(): number;
  /** run `fn` once after `ms` milliseconds */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** cancel a timer; cancelling a fired or cancelled timer does nothing */
  clearTimer(handle: TimerHandle | undefined): void;
}

/** The real clock: performance.now() and Node's timers. */
export class SystemClock implements Clock {
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  #next = 1;

  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.#next++;
    const t = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.#timers.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.#timers.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.#timers.delete(handle.id);
    }
  }

  /** number of timers still pending (for leak checks) */
  get pending(): number {
    return this.#timers.size;
  }
}

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A hand-driven clock for deterministic tests. `advance(ms)` fires every timer that falls due,
 * in due-time order (ties in creation order), including timers set by the callbacks themselves.
 */
export class FakeClock implements Clock {
  #now: number;
  #next = 1;
  #timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.#next++;
    this.#timers.push({ id, due: this.#now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  /** move time forward by `ms`, firing due timers along the way */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('FakeClock cannot go backwards');
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.due;
      due.fn();
    }
    this.#now = target;
  }

  /** fire everything pending (and what it schedules) up to `limitMs` ahead */
  runAll(limitMs = 24 * 3600 * 1000): void {
    this.advance(limitMs);
  }

  /** ms until the next timer, or undefined when none */
  nextDue(): number | undefined {
    if (this.#timers.length === 0) return undefined;
    return Math.min(...this.#timers.map((t) => t.due)) - this.#now;
  }

  get pending(): number {
    return this.#timers.length;
  }
}
