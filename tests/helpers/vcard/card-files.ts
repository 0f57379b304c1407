// The files of the virtual UICC, encoded from a readable description as TS 102 221 / TS 31.102 /
// TS 31.103 lay them out: EF_DIR under the MF, ADF.USIM (EF_IMSI, EF_AD) and optionally ADF.ISIM
// (EF_IMPI, EF_DOMAIN, EF_IMPU, EF_IST, EF_P-CSCF, EF_AD).

export type CardFile =
  | { structure: 'transparent'; data: Buffer }
  | { structure: 'linear-fixed'; recordLength: number; records: Buffer[] };

export interface Application {
  aid: Buffer;
  files: Map<number, CardFile>;
}

export interface CardLayout {
  mf: Map<number, CardFile>;
  applications: Application[];
}

export type PcscfEntry = { type: 'fqdn' | 'ipv4' | 'ipv6' | 'ipv4-text'; address: string };

export interface IsimContent {
  impi: string;
  domain: string;
  impus: string[];
  pcscf?: PcscfEntry[];
  /** ISIM service table bytes, hex; default: service 1 (P-CSCF address) available when pcscf is given. */
  ist?: string;
}

export interface CardContent {
  imsi: string;
  mncLength: number;
  /** Present: an ISIM next to the USIM; absent: a USIM-only card. */
  isim?: IsimContent;
}

// AIDs: RID A000000087, application code 1002 (USIM) / 1004 (ISIM), country/provider bytes.
export const USIM_AID = Buffer.from('a0000000871002ff49ff0589', 'hex');
export const ISIM_AID = Buffer.from('a0000000871004ff49ff0589', 'hex');

const tlv = (tag: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([tag, value.length]), value]);
const pad = (b: Buffer, length: number): Buffer => Buffer.concat([b, Buffer.alloc(length - b.length, 0xff)]);

function records(items: Buffer[], minLength = 0): CardFile {
  const recordLength = Math.max(minLength, ...items.map((b) => b.length));
  return { structure: 'linear-fixed', recordLength, records: items.map((b) => pad(b, recordLength)) };
}

function dirRecord(aid: Buffer, label: string): Buffer {
  return tlv(0x61, Buffer.concat([tlv(0x4f, aid), tlv(0x50, Buffer.from(label))]));
}

/** TS 31.102 4.2.2: length byte, then the IMSI's BCD digits after a parity/type nibble. */
export function encodeImsi(imsi: string): Buffer {
  const nibbles = [imsi.length % 2 === 1 ? 0x9 : 0x1, ...imsi.split('').map(Number)];
  if (nibbles.length % 2 === 1) nibbles.push(0xf);
  const bytes: number[] = [];
  for (let i = 0; i < nibbles.length; i += 2) bytes.push(nibbles[i]! | (nibbles[i + 1]! << 4));
  return pad(Buffer.from([bytes.length, ...bytes]), 9);
}

/** TS 31.102 4.2.18: UE operation mode, two bytes of additional information, MNC length. */
const encodeAd = (mncLength: number): Buffer => Buffer.from([0x00, 0x00, 0x00, mncLength]);

function encodePcscf(p: PcscfEntry): Buffer {
  switch (p.type) {
    case 'fqdn': return tlv(0x80, Buffer.concat([Buffer.from([0x00]), Buffer.from(p.address)]));
    case 'ipv4': return tlv(0x80, Buffer.from([0x01, ...p.address.split('.').map(Number)]));
    case 'ipv4-text': return tlv(0x80, Buffer.concat([Buffer.from([0x01]), Buffer.from(p.address)]));
    case 'ipv6': {
      const [head = '', tail = ''] = p.address.split('::');
      const h = head ? head.split(':') : [];
      const t = tail ? tail.split(':') : [];
      const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
      return tlv(0x80, Buffer.concat([Buffer.from([0x02]), Buffer.from(groups.map((g) => g.padStart(4, '0')).join(''), 'hex')]));
    }
  }
}

export function buildLayout(c: CardContent): CardLayout {
  const usim: Application = {
    aid: USIM_AID,
    files: new Map<number, CardFile>([
      [0x6f07, { structure: 'transparent', data: encodeImsi(c.imsi) }],
      [0x6fad, { structure: 'transparent', data: encodeAd(c.mncLength) }],
    ]),
  };
  const apps = [usim];
  const dir = [dirRecord(USIM_AID, 'USIM')];
  if (c.isim) {
    const i = c.isim;
    const files = new Map<number, CardFile>([
      [0x6f02, { structure: 'transparent', data: pad(tlv(0x80, Buffer.from(i.impi)), i.impi.length + 8) }],
      [0x6f03, { structure: 'transparent', data: tlv(0x80, Buffer.from(i.domain)) }],
      [0x6f04, records(i.impus.map((u) => tlv(0x80, Buffer.from(u))), 64)],
      [0x6f07, { structure: 'transparent', data: Buffer.from(i.ist ?? (i.pcscf && i.pcscf.length > 0 ? '0100' : '0000'), 'hex') }],
      [0x6fad, { structure: 'transparent', data: encodeAd(c.mncLength) }],
    ]);
    if (i.pcscf && i.pcscf.length > 0) files.set(0x6f09, records([...i.pcscf.map(encodePcscf), Buffer.alloc(0)], 40));
    apps.push({ aid: ISIM_AID, files });
    dir.push(dirRecord(ISIM_AID, 'ISIM'));
  }
  dir.push(Buffer.alloc(0)); // an erased record, as real cards have
  return {
    mf: new Map<number, CardFile>([
      [0x2f00, records(dir, 32)],
      [0x2fe2, { structure: 'transparent', data: Buffer.from('98101032547698103214', 'hex') }], // EF_ICCID
    ]),
    applications: apps,
  };
}
