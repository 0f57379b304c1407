// The thin I/O shell: one NETLINK_XFRM socket (npm "netlink"'s raw socket), requests matched to
// their replies by nlmsg_seq. Kernel refusals become IpsecError naming the operation and errno.
import netlink from 'netlink';
import { NETLINK_XFRM, NLMSG_DONE, NLMSG_ERROR } from './xfrm/constants.js';
import { errnoName } from './xfrm/errno.js';
import { parseError, parseMessages, type NetlinkMessage } from './xfrm/netlink.js';
import { IpsecError, type IpsecOperation } from './types.js';

/** What the SA manager needs from the kernel; a fake can stand in for unit tests of the manager. */
export interface XfrmTransport {
  /** send one request built with `seq`, resolve on its ACK */
  request(op: IpsecOperation, build: (seq: number) => Buffer, detail: string): Promise<void>;
  /** send one dump request, resolve with every message up to NLMSG_DONE */
  dump(op: IpsecOperation, build: (seq: number) => Buffer): Promise<NetlinkMessage[]>;
  close(): void;
}

interface Pending {
  op: IpsecOperation;
  detail: string;
  parts: NetlinkMessage[];
  resolve: (msgs: NetlinkMessage[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface XfrmSocketOptions {
  /** how long to wait for the kernel's answer (ms) */
  timeoutMs?: number;
  /** told about messages that answer no request of ours (they are not silently dropped) */
  onStray?: (what: string) => void;
}

export class XfrmSocket implements XfrmTransport {
  private readonly socket: InstanceType<typeof netlink.RawNetlinkSocket>;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private closed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: XfrmSocketOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    try {
      this.socket = new netlink.RawNetlinkSocket(NETLINK_XFRM, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 18 });
    } catch (e) {
      const errno = typeof (e as { errno?: unknown }).errno === 'number' ? Math.abs((e as { errno: number }).errno) : undefined;
      throw new IpsecError('socket', errno, errno === undefined ? 'socket-failed' : errnoName(errno), 'cannot open a NETLINK_XFRM socket');
    }
    this.socket.unref();
    this.socket.on('message', (data: Buffer) => this.receive(data));
    this.socket.on('error', (err: Error) => this.failAll(new IpsecError('socket', undefined, 'socket-error', err.message)));
  }

  request(op: IpsecOperation, build: (seq: number) => Buffer, detail: string): Promise<void> {
    return this.send(op, build, detail).then(() => undefined);
  }

  dump(op: IpsecOperation, build: (seq: number) => Buffer): Promise<NetlinkMessage[]> {
    return this.send(op, build, '');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new IpsecError('socket', undefined, 'closed', 'the XFRM socket was closed'));
    this.socket.close();
  }

  private send(op: IpsecOperation, build: (seq: number) => Buffer, detail: string): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(new IpsecError(op, undefined, 'closed', 'the XFRM socket is closed'));
    this.seq = (this.seq + 1) >>> 0 || 1;
    const seq = this.seq;
    const msg = build(seq);
    return new Promise<NetlinkMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(seq);
        reject(new IpsecError(op, undefined, 'timeout', `no answer from the kernel in ${this.timeoutMs} ms${detail ? `; ${detail}` : ''}`));
      }, this.timeoutMs);
      this.pending.set(seq, { op, detail, parts: [], resolve, reject, timer });
      this.socket.ref();
      this.socket.send(msg, {}, (err) => {
        if (!err) return;
        const p = this.settle(seq);
        const errno = Math.abs(err.errno);
        p?.reject(new IpsecError(op, errno, errnoName(errno), `sending failed${detail ? `; ${detail}` : ''}`));
      });
    });
  }

  private settle(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.closed) this.socket.unref();
    return p;
  }

  private receive(data: Buffer): void {
    let msgs: NetlinkMessage[];
    try {
      msgs = parseMessages(data);
    } catch (e) {
      this.options.onStray?.(`unparsable netlink datagram: ${(e as Error).message}`);
      return;
    }
    for (const m of msgs) {
      const p = this.pending.get(m.seq);
      if (!p) {
        this.options.onStray?.(`netlink message type ${m.type} with seq ${m.seq} answers no request`);
        continue;
      }
      if (m.type === NLMSG_ERROR) {
        const { errno } = parseError(m);
        this.settle(m.seq);
        if (errno === 0) p.resolve(p.parts);
        else p.reject(new IpsecError(p.op, errno, errnoName(errno), p.detail));
      } else if (m.type === NLMSG_DONE) {
        this.settle(m.seq);
        p.resolve(p.parts);
      } else {
        p.parts.push({ ...m, payload: Buffer.from(m.payload) }); // the datagram buffer may be reused
      }
    }
  }

  private failAll(e: IpsecError): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq)?.reject(e);
  }
}
