// The AUTHENTICATE response of the USIM (TS 31.102 7.1.2.1, 3G context) and ISIM (TS 31.103
// 7.1.2.1, IMS AKA context), turned into a SimAuthResult. Pure.
import { CardDataError, CardStatusError } from './pcsc-errors.js';
import type { Response } from './pcsc-apdu.js';
import { isOkWithProactive, SW_AUTH_INCORRECT_MAC, SW_OK } from './pcsc-status-words.js';
import type { SimAuthResult } from './sim-card.js';

/** 'DB': successful execution, followed by L RES || RES || L CK || CK || L IK || IK (|| L Kc || Kc). */
const TAG_SUCCESS = 0xdb;
/** 'DC': synchronisation failure, followed by L AUTS || AUTS. */
const TAG_SYNC_FAILURE = 0xdc;

function lv(data: Buffer, at: number, field: string): { value: Buffer; next: number } {
  const len = data[at];
  if (len === undefined || at + 1 + len > data.length) throw new CardDataError(`AUTHENTICATE response: ${field} overruns the response`);
  return { value: Buffer.from(data.subarray(at + 1, at + 1 + len)), next: at + 1 + len };
}

export function parseAuthenticateResponse(r: Response): SimAuthResult {
  // TS 31.102 / 31.103 7.3: 9862 is the card's "incorrect MAC" verdict; it sends no data.
  if (r.sw === SW_AUTH_INCORRECT_MAC) return { kind: 'mac-failure', cause: 'mac' };
  if (r.sw !== SW_OK && !isOkWithProactive(r.sw)) throw new CardStatusError('AUTHENTICATE', r.sw);
  const d = r.data;
  if (d[0] === TAG_SUCCESS) {
    const res = lv(d, 1, 'RES');
    const ck = lv(d, res.next, 'CK');
    const ik = lv(d, ck.next, 'IK');
    // TS 33.102 6.3.2: RES is 4 to 16 bytes; CK and IK are 16.
    if (res.value.length < 4 || res.value.length > 16) throw new CardDataError(`AUTHENTICATE response: RES has ${res.value.length} bytes, not 4 to 16`);
    if (ck.value.length !== 16 || ik.value.length !== 16) throw new CardDataError('AUTHENTICATE response: CK and IK must be 16 bytes');
    return { kind: 'ok', res: res.value, ck: ck.value, ik: ik.value };
  }
  if (d[0] === TAG_SYNC_FAILURE) {
    const auts = lv(d, 1, 'AUTS');
    if (auts.value.length !== 14) throw new CardDataError(`AUTHENTICATE response: AUTS has ${auts.value.length} bytes, not 14`);
    return { kind: 'sync-failure', auts: auts.value };
  }
  throw new CardDataError(d.length === 0 ? 'AUTHENTICATE response is empty' : `AUTHENTICATE response has unknown tag ${d[0]!.toString(16)}`);
}
