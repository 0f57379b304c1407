// A transaction's named timers on the injected Clock: starting one replaces the previous timer
// of that name, and clearAll() leaves nothing pending (every transaction calls it on termination).
import type { Clock, TimerHandle } from '../clock.js';

export class TimerSet {
  readonly #handles = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const h = this.clock.setTimer(ms, () => {
      this.#handles.delete(name);
      fn();
    });
    this.#handles.set(name, h);
  }

  stop(name: string): void {
    const h = this.#handles.get(name);
    if (h) {
      this.clock.clearTimer(h);
      this.#handles.delete(name);
    }
  }

  has(name: string): boolean {
    return this.#handles.has(name);
  }

  clearAll(): void {
    for (const h of this.#handles.values()) this.clock.clearTimer(h);
    this.#handles.clear();
  }
}
