// Finding the ISIM or USIM on a UICC and reading the IMS identities from it, over an injected
// transmit function: EF_DIR (TS 102 221 13.1), ISIM files (TS 31.103 4.2), or, without an ISIM,
// the USIM's IMSI and MNC length with the TS 23.003 13 derivation (TS 24.229 5.1.1.1A).
import * as A from './pcsc-apdu.js';
import { CardDataError, CardStatusError, NoImsApplicationError } from './pcsc-errors.js';
import {
  FID, hasPrefix, ISIM_AID_PREFIX, IST_PCSCF_ADDRESS, parseDirRecord, parseFcp, parseImsi, parseMncLength,
  parsePcscfRecord, parseTlv80String, serviceAvailable, USIM_AID_PREFIX, type DirEntry, type FileControl,
} from './pcsc-uicc-files.js';
import { deriveIdentities } from './identity.js';
import type { SimIdentities } from './sim-card.js';

export type ApplicationKind = 'isim' | 'usim';

export interface CardApplication {
  kind: ApplicationKind;
  aid: Buffer;
}

const SW_FILE_NOT_FOUND = 0x6a82;

async function selectFile(t: A.Transmit, fid: number, name: string): Promise<FileControl> {
  return parseFcp(await A.exchangeOk(t, A.selectFid(fid), `SELECT ${name}`));
}

/** Reads a transparent EF whole, in READ BINARY chunks of at most 256 bytes. */
export async function readTransparent(t: A.Transmit, fid: number, name: string): Promise<Buffer> {
  const fc = await selectFile(t, fid, name);
  if (fc.structure !== 'transparent') throw new CardDataError(`${name} is not a transparent EF`);
  // Without a size in the FCP, ask for 256 bytes and let the card correct Le with 6Cxx.
  const size = fc.size ?? 256;
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < size; offset += 256) {
    chunks.push(await A.exchangeOk(t, A.readBinary(offset, Math.min(256, size - offset)), `READ BINARY ${name}`));
  }
  return Buffer.concat(chunks);
}

/** Reads every record of a linear fixed EF. */
export async function readRecords(t: A.Transmit, fid: number, name: string): Promise<Buffer[]> {
  const fc = await selectFile(t, fid, name);
  if (fc.structure !== 'linear-fixed' || fc.records === undefined || fc.recordLength === undefined) {
    throw new CardDataError(`${name} is not a linear fixed EF with a record length`);
  }
  const out: Buffer[] = [];
  for (let n = 1; n <= fc.records; n++) out.push(await A.exchangeOk(t, A.readRecord(n, fc.recordLength), `READ RECORD ${n} of ${name}`));
  return out;
}

/** Like the readers above, but a file that does not exist (6A82) gives null. */
async function optional<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (e) {
    if (e instanceof CardStatusError && e.sw === SW_FILE_NOT_FOUND) return null;
    throw e;
  }
}

/** The applications listed in EF_DIR under the MF. */
export async function listApplications(t: A.Transmit): Promise<DirEntry[]> {
  await A.exchangeOk(t, A.selectFid(FID.MF), 'SELECT MF');
  const records = await readRecords(t, FID.EF_DIR, 'EF_DIR');
  return records.map(parseDirRecord).filter((e): e is DirEntry => e !== null);
}

/** An ISIM when there is one (TS 24.229 5.1.1.1A), else a USIM. */
export function chooseApplication(entries: DirEntry[]): CardApplication {
  const isim = entries.find((e) => hasPrefix(e.aid, ISIM_AID_PREFIX));
  if (isim) return { kind: 'isim', aid: isim.aid };
  const usim = entries.find((e) => hasPrefix(e.aid, USIM_AID_PREFIX));
  if (usim) return { kind: 'usim', aid: usim.aid };
  throw new NoImsApplicationError(`card lists no ISIM or USIM application in EF_DIR (${entries.length} other application(s))`);
}

export async function selectApplication(t: A.Transmit, app: CardApplication): Promise<void> {
  await A.exchangeOk(t, A.selectAid(app.aid), `SELECT ${app.kind.toUpperCase()}`);
}

async function readIsimIdentities(t: A.Transmit): Promise<SimIdentities> {
  const impi = parseTlv80String(await readTransparent(t, FID.EF_IMPI, 'EF_IMPI'), 'EF_IMPI');
  const homeDomain = parseTlv80String(await readTransparent(t, FID.EF_DOMAIN, 'EF_DOMAIN'), 'EF_DOMAIN');
  const impus = (await readRecords(t, FID.EF_IMPU, 'EF_IMPU'))
    .map((r, i) => parseTlv80String(r, `EF_IMPU record ${i + 1}`))
    .filter((s): s is string => s !== null);
  if (impi === null) throw new CardDataError('ISIM EF_IMPI is empty');
  if (homeDomain === null) throw new CardDataError('ISIM EF_DOMAIN is empty');
  if (impus.length === 0) throw new CardDataError('ISIM EF_IMPU holds no public identity');
  let pcscf: string[] = [];
  const ist = await optional(readTransparent(t, FID.EF_IST, 'EF_IST'));
  if (ist !== null && serviceAvailable(ist, IST_PCSCF_ADDRESS)) {
    const records = await optional(readRecords(t, FID.EF_PCSCF, 'EF_P-CSCF'));
    pcscf = (records ?? []).map(parsePcscfRecord).filter((s): s is string => s !== null);
  }
  return { impi, impus, homeDomain, pcscf, source: 'isim' };
}

async function readUsimIdentities(t: A.Transmit): Promise<SimIdentities> {
  const imsi = parseImsi(await readTransparent(t, FID.EF_IMSI, 'EF_IMSI'));
  const mncLength = parseMncLength(await readTransparent(t, FID.EF_AD, 'EF_AD'));
  const d = deriveIdentities(imsi, mncLength);
  return { impi: d.impi, impus: [d.impu], homeDomain: d.homeDomain, pcscf: [], imsi, source: 'usim' };
}

/** Selects the application and reads its identities; the application stays selected. */
export async function readIdentities(t: A.Transmit, app: CardApplication): Promise<SimIdentities> {
  await selectApplication(t, app);
  return app.kind === 'isim' ? readIsimIdentities(t) : readUsimIdentities(t);
}
