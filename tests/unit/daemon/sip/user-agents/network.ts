// Two or more user agent cores, each on its own real TransactionLayer, joined by an in-memory
// "wire" on one FakeClock: every message is serialised and parsed again on the way, and the
// wire can drop messages to exercise retransmissions. Unit-test plumbing only.
import { FakeClock } from '../../../../../daemon/sip/clock.js';
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../../../daemon/sip/serializer.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { TransactionLayer, type Destination, type IncomingMessage } from '../../../../../daemon/sip/transactions/index.js';
import { UserAgentCore, type UserAgentCoreOptions } from '../../../../../daemon/sip/user-agents/core.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';

export interface WireRecord {
  at: number;
  from: string;
  to: string;
  /** "INVITE", "183 INVITE", ... */
  what: string;
  msg: SipRequest | SipResponse;
  dropped: boolean;
}

export interface Ua {
  name: string;
  address: string;
  port: number;
  core: UserAgentCore;
  layer: TransactionLayer;
  /** requests the core answered with an error */
  rejected: Array<{ method: string; status: number; why: string }>;
}

function describe(m: SipRequest | SipResponse): string {
  return m.isRequest() ? m.method : `${m.status} ${m.cseq.method}`;
}

export class Network {
  readonly clock = new FakeClock();
  readonly log: WireRecord[] = [];
  readonly #uas = new Map<string, Ua>();
  #queue: Array<{ from: string; dest: Destination; raw: Buffer }> = [];
  /** return true to drop a message */
  drop: (r: Omit<WireRecord, 'dropped'>) => boolean = () => false;
  /** messages to an address without a UA (a hand-driven peer) */
  readonly unrouted: Array<{ dest: Destination; msg: SipRequest | SipResponse }> = [];

  ua(name: string, address: string, port: number, options: Partial<UserAgentCoreOptions> = {}): Ua {
    const rejected: Ua['rejected'] = [];
    const core = new UserAgentCore({
      clock: this.clock,
      random: sequenceRandom([], `${name}-`),
      contact: parseNameAddr(`<sip:${name}@${address}:${port}>`),
      onRejected: (req, status, why) => rejected.push({ method: req.method, status, why }),
      ...options,
    });
    let n = 0;
    const layer = new TransactionLayer({
      clock: this.clock,
      sentBy: { host: address, port },
      random: () => `${name}b${++n}`,
      autoTryingMs: null,
      tu: core,
      sender: (msg, dest) => {
        this.#queue.push({ from: `${address}:${port}`, dest, raw: serializeMessage(msg) });
      },
    });
    core.attach(layer);
    const ua = { name, address, port, core, layer, rejected };
    this.#uas.set(`${address}:${port}`, ua);
    return ua;
  }

  /** Deliver a message as if `from` had sent it (for hand-driven peers). */
  inject(to: Ua, msg: SipRequest | SipResponse, from = { address: '127.0.0.99', port: 5099 }): void {
    this.#queue.push({ from: `${from.address}:${from.port}`, dest: { address: to.address, port: to.port, protocol: 'udp' }, raw: serializeMessage(msg) });
  }

  /** Deliver everything queued (and whatever that causes) at the current time. */
  async flush(): Promise<void> {
    for (let guard = 0; guard < 1000; guard++) {
      await new Promise<void>((r) => setImmediate(r));
      const next = this.#queue.shift();
      if (!next) {
        if (this.#queue.length === 0) return;
        continue;
      }
      const msg = parseMessage(next.raw);
      const to = `${next.dest.address}:${next.dest.port}`;
      const rec = { at: this.clock.now(), from: next.from, to, what: describe(msg), msg };
      const dropped = this.drop(rec);
      this.log.push({ ...rec, dropped });
      if (dropped) continue;
      const ua = this.#uas.get(to);
      if (!ua) {
        this.unrouted.push({ dest: next.dest, msg });
        continue;
      }
      const [address, port] = [next.from.slice(0, next.from.lastIndexOf(':')), Number(next.from.slice(next.from.lastIndexOf(':') + 1))];
      const incoming: IncomingMessage = { message: msg, protocol: 'udp', remote: { address, port } };
      ua.layer.receive(incoming);
    }
    throw new Error('the wire did not settle');
  }

  /** Advance the clock in steps, delivering messages at each step. */
  async run(ms: number, step = 100): Promise<void> {
    await this.flush();
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.flush();
    }
  }

  /** "from→to what" lines of delivered (or dropped, marked "x") messages, for sequence checks */
  sequence(filter: (r: WireRecord) => boolean = () => true): string[] {
    return this.log.filter(filter).map((r) => `${r.dropped ? 'x ' : ''}${this.#name(r.from)}>${this.#name(r.to)} ${r.what}`);
  }

  #name(hostport: string): string {
    return this.#uas.get(hostport)?.name ?? hostport;
  }

  close(): void {
    for (const ua of this.#uas.values()) ua.layer.close();
  }
}
