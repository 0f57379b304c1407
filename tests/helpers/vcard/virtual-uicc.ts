// A virtual UICC answering C-APDUs as a T=0 card does (ETSI TS 102 221): SELECT by AID and by
// FID, READ BINARY, READ RECORD, GET RESPONSE after 61xx, 6Cxx on a wrong Le, and AUTHENTICATE
// (TS 31.102 / 31.103 7.1.2) computed by the soft SIM engine. A test can make it answer a chosen
// status word. Sans-I/O: bytes in, bytes out.
import type { SimCard } from '../../../daemon/auth/sim/sim-card.js';
import type { Application, CardFile, CardLayout } from './card-files.js';

export interface VirtualUiccOptions {
  /** Leave the file size out of transparent EFs' FCP, so the host must learn it from 6Cxx. */
  omitFileSize?: boolean;
}

interface Forced {
  ins: number | 'any';
  sw: number;
  /** How many more commands get it; Infinity = until cleared. */
  remaining: number;
}

const sw = (value: number, data: Buffer = Buffer.alloc(0)): Buffer => {
  const out = Buffer.alloc(data.length + 2);
  data.copy(out);
  out.writeUInt16BE(value, data.length);
  return out;
};
const tlv = (tag: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([tag, value.length]), value]);

export class VirtualUicc {
  readonly #layout: CardLayout;
  readonly #engine: SimCard;
  readonly #options: VirtualUiccOptions;
  #adf: Application | null = null;
  #ef: CardFile | null = null;
  #pending: Buffer = Buffer.alloc(0);
  #forced: Forced[] = [];
  /** Every command's INS and status word, for tests that check what the host sent. */
  readonly journal: { ins: number; sw: number }[] = [];

  constructor(layout: CardLayout, engine: SimCard, options: VirtualUiccOptions = {}) {
    this.#layout = layout;
    this.#engine = engine;
    this.#options = options;
  }

  /** Makes the next `times` commands with this INS (or any) answer `status` with no data. */
  force(ins: number | 'any', status: number, times = 1): void {
    this.#forced.push({ ins, sw: status, remaining: times });
  }

  clearForced(): void {
    this.#forced = [];
  }

  /** Cold or warm reset: the MF is current again, nothing pending. */
  reset(): void {
    this.#adf = null;
    this.#ef = null;
    this.#pending = Buffer.alloc(0);
  }

  async handle(apdu: Buffer): Promise<Buffer> {
    const r = await this.#handle(apdu);
    this.journal.push({ ins: apdu[1] ?? -1, sw: r.readUInt16BE(r.length - 2) });
    return r;
  }

  async #handle(apdu: Buffer): Promise<Buffer> {
    if (apdu.length < 4) return sw(0x6700);
    const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
    const forced = this.#forced.find((f) => f.ins === 'any' || f.ins === ins);
    if (forced) {
      forced.remaining -= 1;
      if (forced.remaining <= 0) this.#forced = this.#forced.filter((f) => f !== forced);
      return sw(forced.sw);
    }
    if (cla !== 0x00) return sw(0x6e00);
    // Case 1/2: header [+ Le]; case 3/4: header + Lc + data [+ Le].
    const lc = apdu.length > 5 ? apdu[4]! : 0;
    const data = apdu.subarray(5, 5 + lc);
    if (apdu.length > 5 && apdu.length !== 5 + lc && apdu.length !== 6 + lc) return sw(0x6700);
    const le = apdu.length === 5 ? apdu[4]! : apdu.length === 6 + lc ? apdu[5 + lc]! : undefined;
    if (ins !== 0xc0) this.#pending = Buffer.alloc(0);
    switch (ins) {
      case 0xa4: return this.#select(p1, p2, data);
      case 0xb0: return this.#readBinary(((p1 & 0x7f) << 8) | p2, le);
      case 0xb2: return this.#readRecord(p1, p2, le);
      case 0xc0: return this.#getResponse(le);
      case 0x88: return this.#authenticate(p2, data);
      default: return sw(0x6d00);
    }
  }

  /** Case 4 responses travel in T=0 as 61xx + GET RESPONSE (TS 102 221 7.3.1.1.4). */
  #respond(body: Buffer): Buffer {
    this.#pending = body;
    return sw(0x6100 | (body.length >= 256 ? 0 : body.length)); // 6100: 256 or more
  }

  #fcp(file: CardFile | null, aid?: Buffer): Buffer {
    if (file === null) {
      // TS 102 221 Table 11.5: '78' DF, '21' coding byte; '84' DF name for an ADF.
      return tlv(0x62, Buffer.concat([tlv(0x82, Buffer.from([0x78, 0x21])), ...(aid ? [tlv(0x84, aid)] : [])]));
    }
    if (file.structure === 'transparent') {
      const parts = [tlv(0x82, Buffer.from([0x41, 0x21]))];
      if (!this.#options.omitFileSize) parts.push(tlv(0x80, Buffer.from([file.data.length >> 8, file.data.length & 0xff])));
      return tlv(0x62, Buffer.concat(parts));
    }
    const n = file.records.length;
    return tlv(0x62, Buffer.concat([
      tlv(0x82, Buffer.from([0x42, 0x21, file.recordLength >> 8, file.recordLength & 0xff, n])),
      tlv(0x80, Buffer.from([(file.recordLength * n) >> 8, (file.recordLength * n) & 0xff])),
    ]));
  }

  #select(p1: number, p2: number, data: Buffer): Buffer {
    if (p2 !== 0x04 && p2 !== 0x0c) return sw(0x6a86);
    if (p1 === 0x04) {
      // TS 102 221 8.4.2: a right-truncated AID selects the application it starts.
      const app = this.#layout.applications.find((a) => data.length >= 5 && a.aid.subarray(0, data.length).equals(data));
      if (!app) return sw(0x6a82);
      this.#adf = app;
      this.#ef = null;
      return p2 === 0x0c ? sw(0x9000) : this.#respond(this.#fcp(null, app.aid));
    }
    if (p1 !== 0x00 || data.length !== 2) return sw(0x6a86);
    const fid = data.readUInt16BE(0);
    if (fid === 0x3f00) {
      this.#adf = null;
      this.#ef = null;
      return p2 === 0x0c ? sw(0x9000) : this.#respond(this.#fcp(null));
    }
    const file = (this.#adf ? this.#adf.files.get(fid) : undefined) ?? this.#layout.mf.get(fid);
    if (!file) return sw(0x6a82);
    this.#ef = file;
    return p2 === 0x0c ? sw(0x9000) : this.#respond(this.#fcp(file));
  }

  #readBinary(offset: number, le: number | undefined): Buffer {
    const f = this.#ef;
    if (f === null) return sw(0x6986);
    if (f.structure !== 'transparent') return sw(0x6981);
    if (offset > f.data.length) return sw(0x6b00);
    const available = f.data.length - offset;
    const want = le === undefined || le === 0 ? 256 : le;
    if (want > available) return sw(0x6c00 | available); // TS 102 221 10.2.1.3: wrong Le, SW2 = right one
    return sw(0x9000, f.data.subarray(offset, offset + want));
  }

  #readRecord(p1: number, p2: number, le: number | undefined): Buffer {
    const f = this.#ef;
    if (f === null) return sw(0x6986);
    if (f.structure !== 'linear-fixed') return sw(0x6981);
    if (p2 !== 0x04) return sw(0x6a86);
    const rec = f.records[p1 - 1];
    if (p1 === 0 || rec === undefined) return sw(0x6a83);
    if (le !== f.recordLength) return sw(0x6c00 | f.recordLength);
    return sw(0x9000, rec);
  }

  #getResponse(le: number | undefined): Buffer {
    if (this.#pending.length === 0) return sw(0x6985);
    const want = le === undefined || le === 0 ? 256 : le;
    if (want > this.#pending.length) return sw(0x6c00 | this.#pending.length);
    const out = this.#pending.subarray(0, want);
    this.#pending = this.#pending.subarray(want);
    return this.#pending.length > 0 ? sw(0x6100 | (this.#pending.length >= 256 ? 0 : this.#pending.length), out) : sw(0x9000, out);
  }

  async #authenticate(p2: number, data: Buffer): Promise<Buffer> {
    if (this.#adf === null) return sw(0x6985);
    if (p2 !== 0x81) return sw(0x6a86);
    const randLen = data[0];
    if (randLen !== 16 || data[17] !== 16 || data.length !== 34) return sw(0x6700);
    const rand = data.subarray(1, 17);
    const autn = data.subarray(18, 34);
    const r = await this.#engine.authenticate(Buffer.from(rand), Buffer.from(autn));
    switch (r.kind) {
      case 'ok':
        return this.#respond(Buffer.concat([Buffer.from([0xdb]), lv(r.res), lv(r.ck), lv(r.ik)]));
      case 'sync-failure':
        return this.#respond(Buffer.concat([Buffer.from([0xdc]), lv(r.auts)]));
      case 'mac-failure':
        return sw(0x9862);
    }
  }
}

const lv = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length]), b]);
