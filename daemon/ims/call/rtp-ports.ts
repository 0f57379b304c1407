// Local RTP ports for calls: even numbers (RFC 3550 11: RTP on an even port, RTCP on the next odd
// one) from a configured range, each held by one call until it ends.
import { CallBackendError } from '../../dbus/backend.js';

export class RtpPortPool {
  readonly #inUse = new Set<number>();
  #next: number;

  constructor(readonly range: [number, number]) {
    const [lo, hi] = range;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1024 || hi > 65534 || lo > hi) throw new RangeError(`bad RTP port range ${lo}-${hi}`);
    this.#next = lo + (lo % 2);
  }

  /** the next free even port (round robin, so a port just freed is not reused at once) */
  allocate(): number {
    const [lo, hi] = this.range;
    const first = lo + (lo % 2);
    const count = Math.floor((hi - first) / 2) + 1;
    for (let i = 0; i < count; i++) {
      const p = this.#next;
      this.#next = p + 2 > hi ? first : p + 2;
      if (!this.#inUse.has(p)) {
        this.#inUse.add(p);
        return p;
      }
    }
    throw new CallBackendError('Failed', `no free RTP port in ${lo}-${hi}`);
  }

  release(port: number): void {
    this.#inUse.delete(port);
  }

  get inUse(): number {
    return this.#inUse.size;
  }
}
