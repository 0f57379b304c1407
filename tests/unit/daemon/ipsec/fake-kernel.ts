// A stand-in for the kernel's XFRM tables, for unit tests of XfrmIpsecManager only (the real kernel
// is in the integration and UML tests). It decodes what the manager sends with the codec.
import { IpsecError, type IpsecOperation } from '../../../../daemon/ipsec/types.js';
import { decodeAddress } from '../../../../daemon/ipsec/xfrm/address.js';
import { XFRM_MSG_DELPOLICY, XFRM_MSG_DELSA, XFRM_MSG_GETPOLICY, XFRM_MSG_GETSA, XFRM_MSG_NEWPOLICY, XFRM_MSG_NEWSA } from '../../../../daemon/ipsec/xfrm/constants.js';
import { parseMessages, type NetlinkMessage } from '../../../../daemon/ipsec/xfrm/netlink.js';
import type { XfrmTransport } from '../../../../daemon/ipsec/xfrm-socket.js';

export class FakeKernel implements XfrmTransport {
  readonly sas = new Map<string, NetlinkMessage>();
  readonly policies = new Map<string, NetlinkMessage>();
  readonly sent: NetlinkMessage[] = [];
  /** errno to answer the n-th (0-based) request of a type with */
  failures: { type: number; nth: number; errno: number }[] = [];
  closed = false;
  private nextIndex = 8;
  private counts = new Map<number, number>();

  request(op: IpsecOperation, build: (seq: number) => Buffer, detail: string): Promise<void> {
    const [m] = parseMessages(build(1));
    this.sent.push(m);
    const n = this.counts.get(m.type) ?? 0;
    this.counts.set(m.type, n + 1);
    const fail = this.failures.find((f) => f.type === m.type && f.nth === n);
    const refuse = (errno: number, code: string) => Promise.reject(new IpsecError(op, errno, code, detail));
    if (fail) return refuse(fail.errno, `E${fail.errno}`);
    const p = m.payload;
    switch (m.type) {
      case XFRM_MSG_NEWSA: {
        const key = `${decodeAddress(p.subarray(56, 72), p.readUInt16LE(212))}/${p.readUInt32BE(72)}`;
        if (this.sas.has(key)) return refuse(17, 'EEXIST');
        this.sas.set(key, { ...m, payload: Buffer.from(p) });
        return Promise.resolve();
      }
      case XFRM_MSG_DELSA: {
        const key = `${decodeAddress(p.subarray(0, 16), p.readUInt16LE(20))}/${p.readUInt32BE(16)}`;
        return this.sas.delete(key) ? Promise.resolve() : refuse(2, 'ENOENT');
      }
      case XFRM_MSG_NEWPOLICY: {
        const key = `${p.subarray(0, 56).toString('hex')}/${p.readUInt8(160)}`;
        if (this.policies.has(key)) return refuse(17, 'EEXIST');
        const stored = Buffer.from(p);
        stored.writeUInt32LE(this.nextIndex++, 156);
        this.policies.set(key, { ...m, payload: stored });
        return Promise.resolve();
      }
      case XFRM_MSG_DELPOLICY: {
        const index = p.readUInt32LE(56);
        const key = index === 0
          ? `${p.subarray(0, 56).toString('hex')}/${p.readUInt8(60)}`
          : [...this.policies].find(([, v]) => v.payload.readUInt32LE(156) === index)?.[0];
        return key !== undefined && this.policies.delete(key) ? Promise.resolve() : refuse(2, 'ENOENT');
      }
    }
    return refuse(22, 'EINVAL');
  }

  dump(op: IpsecOperation, build: (seq: number) => Buffer): Promise<NetlinkMessage[]> {
    const [m] = parseMessages(build(1));
    this.sent.push(m);
    if (m.type === XFRM_MSG_GETSA) return Promise.resolve([...this.sas.values()]);
    if (m.type === XFRM_MSG_GETPOLICY) return Promise.resolve([...this.policies.values()]);
    return Promise.reject(new IpsecError(op, 22, 'EINVAL', ''));
  }

  close(): void {
    this.closed = true;
  }

  /** what changed the tables (dumps left out) */
  changes(): number[] {
    return this.sent.map((m) => m.type).filter((t) => t !== XFRM_MSG_GETSA && t !== XFRM_MSG_GETPOLICY);
  }
}
