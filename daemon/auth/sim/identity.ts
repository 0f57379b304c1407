// IMS identities derived from the IMSI when no ISIM is present (3GPP TS 23.003 13.2, 13.3, 13.4B).
import { AuthInputError } from '../errors.js';

export interface DerivedIdentities {
  impi: string;
  impu: string;
  homeDomain: string;
  mcc: string;
  mnc: string;
}

/** Splits an IMSI into MCC and MNC; errors name the field, never the value. */
export function splitImsi(imsi: string, mncLength: number): { mcc: string; mnc: string; msin: string } {
  if (typeof imsi !== 'string' || !/^[0-9]{6,15}$/.test(imsi)) {
    throw new AuthInputError('IMSI must be 6 to 15 decimal digits');
  }
  if (mncLength !== 2 && mncLength !== 3) throw new AuthInputError('MNC length must be 2 or 3');
  return { mcc: imsi.slice(0, 3), mnc: imsi.slice(3, 3 + mncLength), msin: imsi.slice(3 + mncLength) };
}

/** 13.2: `ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org`, a 2-digit MNC padded with a leading zero. */
export function homeDomainFor(mcc: string, mnc: string): string {
  return `ims.mnc${mnc.padStart(3, '0')}.mcc${mcc}.3gppnetwork.org`;
}

/** 13.3 IMPI `<imsi>@<home domain>`; 13.4B temporary IMPU `sip:<imsi>@<home domain>`. */
export function deriveIdentities(imsi: string, mncLength: number): DerivedIdentities {
  const { mcc, mnc } = splitImsi(imsi, mncLength);
  const homeDomain = homeDomainFor(mcc, mnc);
  const impi = `${imsi}@${homeDomain}`;
  return { impi, impu: `sip:${impi}`, homeDomain, mcc, mnc };
}
