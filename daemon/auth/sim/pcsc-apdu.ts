// Command APDUs of the UICC (ETSI TS 102 221 10.1, 11.1) and an exchange loop that handles the
// T=0 procedure bytes 61xx (GET RESPONSE) and 6Cxx (repeat with the right Le). The transmit
// function is injected, so this file does no I/O.
import { CardDataError, CardStatusError } from './pcsc-errors.js';
import { isMoreData, isOkWithProactive, isWrongLe, SW_OK } from './pcsc-status-words.js';

export type Transmit = (apdu: Buffer) => Promise<Buffer>;

/** CLA 00: UICC commands on the basic logical channel (TS 102 221 10.1.1). */
const CLA = 0x00;

export const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  READ_RECORD: 0xb2,
  GET_RESPONSE: 0xc0,
  AUTHENTICATE: 0x88,
} as const;

function apdu(ins: number, p1: number, p2: number, data?: Buffer, le?: number): Buffer {
  const parts: number[] = [CLA, ins, p1, p2];
  const head = Buffer.from(parts);
  const body = data !== undefined && data.length > 0 ? Buffer.concat([Buffer.from([data.length]), data]) : Buffer.alloc(0);
  const tail = le !== undefined ? Buffer.from([le & 0xff]) : Buffer.alloc(0);
  return Buffer.concat([head, body, tail]);
}

/** TS 102 221 11.1.1: SELECT by DF name (AID), P1 04, P2 04 "return FCP template". */
export const selectAid = (aid: Buffer): Buffer => apdu(INS.SELECT, 0x04, 0x04, aid, 0x00);
/** SELECT by DF name with P2 0C "no data returned", to make the application current again. */
export const reselectAid = (aid: Buffer): Buffer => apdu(INS.SELECT, 0x04, 0x0c, aid);
/** SELECT by file identifier (P1 00), returning the FCP template. */
export const selectFid = (fid: number): Buffer => apdu(INS.SELECT, 0x00, 0x04, Buffer.from([fid >> 8, fid & 0xff]), 0x00);
/** TS 102 221 11.1.3: READ BINARY of the current EF from `offset` (15 bits), Le 00 = up to 256. */
export const readBinary = (offset: number, length: number): Buffer => apdu(INS.READ_BINARY, (offset >> 8) & 0x7f, offset & 0xff, undefined, length);
/** TS 102 221 11.1.5: READ RECORD, P2 04 = absolute record number P1 of the current EF. */
export const readRecord = (record: number, length: number): Buffer => apdu(INS.READ_RECORD, record, 0x04, undefined, length);
export const getResponse = (length: number): Buffer => apdu(INS.GET_RESPONSE, 0x00, 0x00, undefined, length);
/**
 * TS 31.102 7.1.2 / TS 31.103 7.1.2: AUTHENTICATE, P2 81 = specific reference data, 3G (USIM) or
 * IMS AKA (ISIM) security context; data = L RAND || RAND || L AUTN || AUTN.
 */
export const authenticate = (rand: Buffer, autn: Buffer): Buffer =>
  apdu(INS.AUTHENTICATE, 0x00, 0x81, Buffer.concat([Buffer.from([rand.length]), rand, Buffer.from([autn.length]), autn]), 0x00);

export interface Response {
  data: Buffer;
  sw: number;
}

/** Splits an R-APDU into data and SW1 SW2. */
export function splitResponse(r: Buffer, command: string): Response {
  if (r.length < 2) throw new CardDataError(`card answered ${command} with ${r.length} bytes, no status word`);
  return { data: r.subarray(0, r.length - 2), sw: r.readUInt16BE(r.length - 2) };
}

/** At most this many 61xx/6Cxx turns per command: a card that loops is broken, not slow. */
const MAX_TURNS = 16;

/**
 * Sends one command and follows the card's procedure bytes: 6Cxx repeats the command with
 * Le = xx (TS 102 221 7.3.1.1.4), 61xx fetches xx bytes with GET RESPONSE and keeps fetching while
 * the card says more remain. Returns the data and the final status word.
 */
export async function exchange(transmit: Transmit, command: Buffer, name: string): Promise<Response> {
  let data = Buffer.alloc(0);
  let next = command;
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const r = splitResponse(await transmit(next), name);
    if (isWrongLe(r.sw)) {
      // Only the Le byte changes; for a case 2 command it is the last byte.
      next = Buffer.concat([next.subarray(0, next.length - 1), Buffer.from([r.sw & 0xff])]);
      continue;
    }
    data = Buffer.concat([data, r.data]);
    if (isMoreData(r.sw)) {
      next = getResponse(r.sw & 0xff);
      continue;
    }
    return { data, sw: r.sw };
  }
  throw new CardDataError(`card kept answering ${name} with 61xx/6Cxx after ${MAX_TURNS} turns`);
}

/** exchange(), then any status other than 9000 (or 91xx) becomes a CardStatusError naming it. */
export async function exchangeOk(transmit: Transmit, command: Buffer, name: string): Promise<Buffer> {
  const r = await exchange(transmit, command, name);
  if (r.sw !== SW_OK && !isOkWithProactive(r.sw)) throw new CardStatusError(name, r.sw);
  return r.data;
}
