// baresip's ctrl_tcp interface (netstring-framed JSON): commands with their responses, and the
// events baresip reports on its own (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, REGISTER_OK…).
import net from 'node:net';

export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  [key: string]: unknown;
}

export interface BaresipResponse {
  ok: boolean;
  data: string;
}

export class BaresipCtrl {
  readonly events: BaresipEvent[] = [];
  private buf = Buffer.alloc(0);
  private pending: Array<{ token: string; resolve: (r: BaresipResponse) => void; reject: (e: Error) => void }> = [];
  private waiters: Array<() => void> = [];
  private seq = 0;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => this.onData(d));
    sock.on('close', () => {
      for (const p of this.pending.splice(0)) p.reject(new Error('baresip ctrl_tcp connection closed'));
    });
    sock.on('error', () => undefined);
  }

  static connect(host: string, port: number): Promise<BaresipCtrl> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port }, () => {
        sock.off('error', reject);
        resolve(new BaresipCtrl(sock));
      });
      sock.once('error', reject);
    });
  }

  /** Send one command (e.g. "dial", "sip:bob@imsd.test"; "hangup"; "accept") and await its response. */
  command(command: string, params = '', timeoutMs = 5000): Promise<BaresipResponse> {
    const token = `imsd-${++this.seq}`;
    const body = Buffer.from(JSON.stringify({ command, params, token }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baresip: no response to "${command}" within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({
        token,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
    });
  }

  /** Resolve with the first event (already seen or future) matching pred. */
  async waitEvent(what: string, pred: (e: BaresipEvent) => boolean, timeoutMs = 5000): Promise<BaresipEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`baresip: no ${what} event within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(', ') || 'none'}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buf.subarray(0, colon).toString('ascii'));
      if (!Number.isInteger(len)) throw new Error('baresip ctrl_tcp: bad netstring length');
      if (this.buf.length < colon + 2 + len) return;
      const msg = JSON.parse(this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8')) as Record<string, unknown>;
      this.buf = this.buf.subarray(colon + 2 + len);
      if (msg.response === true) {
        const i = this.pending.findIndex((p) => p.token === msg.token);
        const [p] = this.pending.splice(i < 0 ? 0 : i, 1);
        p?.resolve({ ok: msg.ok === true, data: typeof msg.data === 'string' ? msg.data : '' });
      } else if (msg.event === true) {
        this.events.push(msg as unknown as BaresipEvent);
        for (const w of this.waiters.splice(0)) w();
      }
    }
  }
}
