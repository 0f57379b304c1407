// One IMS subscriber of the lab HSS and its identities (TS 23.003 13.3/13.4: IMPI
// <imsi>@<domain>; IMPUs sip:<imsi>@<domain>, sip:<msisdn>@<domain>, tel:<msisdn>).
import { HssConfigError } from './errors.js';
import { SQN_MAX } from './sqn.js';

/** A subscribers-file entry as written on disk. */
export interface SubscriberEntry {
  imsi: string;
  k: string;
  opc: string;
  amf: string;
  /** Last SQN the HSS issued (48 bits): 12 hex digits, or a number. */
  sqn: string | number;
  msisdn?: string;
}

export interface Subscriber {
  imsi: string;
  k: Buffer;
  opc: Buffer;
  amf: Buffer;
  sqn: bigint;
  msisdn: string | undefined;
  impi: string;
  impus: string[];
}

function hexField(index: number, name: string, value: unknown, bytes: number): Buffer {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value)) {
    // never echo the value: it may be a key
    throw new HssConfigError(`subscriber #${index}: ${name} must be ${bytes * 2} hex digits`);
  }
  return Buffer.from(value, 'hex');
}

function parseSqn(index: number, value: unknown): bigint {
  let sqn: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) sqn = BigInt(value);
  else if (typeof value === 'string' && /^[0-9a-fA-F]{1,12}$/.test(value)) sqn = BigInt(`0x${value}`);
  else throw new HssConfigError(`subscriber #${index}: sqn must be up to 12 hex digits or a non-negative integer`);
  if (sqn > SQN_MAX) throw new HssConfigError(`subscriber #${index}: sqn exceeds 48 bits`);
  return sqn;
}

export function subscriberFromEntry(entry: unknown, index: number, domain: string): Subscriber {
  if (typeof entry !== 'object' || entry === null) throw new HssConfigError(`subscriber #${index}: not an object`);
  const e = entry as Record<string, unknown>;
  if (typeof e.imsi !== 'string' || !/^[0-9]{5,15}$/.test(e.imsi)) {
    throw new HssConfigError(`subscriber #${index}: imsi must be 5-15 digits`);
  }
  if (e.msisdn !== undefined && (typeof e.msisdn !== 'string' || !/^\+?[0-9]{1,15}$/.test(e.msisdn))) {
    throw new HssConfigError(`subscriber ${e.imsi}: msisdn must be digits with an optional leading +`);
  }
  const imsi = e.imsi;
  const msisdn = e.msisdn as string | undefined;
  const impus = [`sip:${imsi}@${domain}`];
  if (msisdn !== undefined) impus.push(`sip:${msisdn}@${domain}`, `tel:${msisdn}`);
  return {
    imsi,
    k: hexField(index, 'k', e.k, 16),
    opc: hexField(index, 'opc', e.opc, 16),
    amf: hexField(index, 'amf', e.amf, 2),
    sqn: parseSqn(index, e.sqn),
    msisdn,
    impi: `${imsi}@${domain}`,
    impus,
  };
}

/** Writes the SQN back in the form the entry used (hex string or number). */
export function entryWithSqn(entry: SubscriberEntry, sqn: bigint): SubscriberEntry {
  return { ...entry, sqn: typeof entry.sqn === 'number' ? Number(sqn) : sqn.toString(16).padStart(12, '0') };
}
