// The P-Access-Network-Info value a driver reports with its PDN (TS 24.229 7.2A.4, RFC 7315):
// for LTE, access-type "3GPP-E-UTRAN-FDD" or "3GPP-E-UTRAN-TDD" and utran-cell-id-3gpp = MCC (3
// digits) ‖ MNC (2 or 3 digits) ‖ TAC (16 bits, 4 hex digits) ‖ E-UTRAN cell identity (28 bits,
// 7 hex digits). Modems report TAC and cell id in hex (TS 27.007 +CEREG) or as numbers (oFono).

export interface EutranCell {
  mcc: string;
  mnc: string;
  /** tracking area code, 0–0xFFFF */
  tac: number;
  /** E-UTRAN cell identity (eNB id ‖ cell), 0–0xFFFFFFF */
  eci: number;
  /** unknown (27.007 gives no duplex mode): FDD, by far the common case */
  duplex?: 'fdd' | 'tdd';
}

export class AccessNetworkError extends Error {
  override name = 'AccessNetworkError';
}

/** the header value for an LTE cell; throws AccessNetworkError on values a cell cannot have */
export function eutranAccessNetworkInfo(cell: EutranCell): string {
  if (!/^\d{3}$/.test(cell.mcc)) throw new AccessNetworkError(`MCC must be 3 digits, got "${cell.mcc}"`);
  if (!/^\d{2,3}$/.test(cell.mnc)) throw new AccessNetworkError(`MNC must be 2 or 3 digits, got "${cell.mnc}"`);
  if (!Number.isInteger(cell.tac) || cell.tac < 0 || cell.tac > 0xffff) throw new AccessNetworkError(`TAC out of range: ${cell.tac}`);
  if (!Number.isInteger(cell.eci) || cell.eci < 0 || cell.eci > 0xfffffff) throw new AccessNetworkError(`E-UTRAN cell id out of range: ${cell.eci}`);
  const hex = (n: number, digits: number): string => n.toString(16).toUpperCase().padStart(digits, '0');
  const type = cell.duplex === 'tdd' ? '3GPP-E-UTRAN-TDD' : '3GPP-E-UTRAN-FDD';
  return `${type}; utran-cell-id-3gpp=${cell.mcc}${cell.mnc}${hex(cell.tac, 4)}${hex(cell.eci, 7)}`;
}

/** "00101" / "001010" (27.007 +COPS numeric format) → MCC and MNC; the MNC length is taken as given */
export function splitPlmn(plmn: string): { mcc: string; mnc: string } {
  if (!/^\d{5,6}$/.test(plmn)) throw new AccessNetworkError(`PLMN must be 5 or 6 digits, got "${plmn}"`);
  return { mcc: plmn.slice(0, 3), mnc: plmn.slice(3) };
}
