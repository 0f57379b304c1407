// The subscribers file shared with the HSS: [{ imsi, k, opc, amf, sqn, msisdn }]. Written
// atomically (rename) because the HSS watches it and writes SQN updates back.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { names, type LabOptions, type Subscriber } from '../options.js';

export interface StoredSubscriber extends Subscriber {
  /** Hex, 48 bits; the HSS advances it per vector and writes it back. */
  sqn: string | number;
}

/** SQN of a freshly provisioned subscriber (the USIM's highest accepted SQN starts at 0 too). */
export const INITIAL_SQN = '000000000000';

export class SubscriberError extends Error {
  override name = 'SubscriberError';
}

export function validateSubscriber(s: Subscriber): void {
  if (!/^\d{6,15}$/.test(s.imsi)) throw new SubscriberError(`IMSI must be 6-15 digits, got "${s.imsi}"`);
  if (!/^\+?\d{3,15}$/.test(s.msisdn)) throw new SubscriberError(`MSISDN must be digits with an optional +, got "${s.msisdn}"`);
  // The key values themselves never go into an error message.
  if (!/^[0-9a-fA-F]{32}$/.test(s.k)) throw new SubscriberError('K must be 32 hex digits');
  if (!/^[0-9a-fA-F]{32}$/.test(s.opc)) throw new SubscriberError('OPc must be 32 hex digits');
  if (!/^[0-9a-fA-F]{4}$/.test(s.amf)) throw new SubscriberError('AMF must be 4 hex digits');
}

export function readSubscribers(o: LabOptions): StoredSubscriber[] {
  const file = names(o).subscribersFile;
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as StoredSubscriber[];
}

export function writeSubscribers(o: LabOptions, list: StoredSubscriber[]): void {
  const file = names(o).subscribersFile;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(list, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Add or replace (same IMSI) a subscriber. */
export function addSubscriber(o: LabOptions, s: Subscriber): void {
  validateSubscriber(s);
  const list = readSubscribers(o).filter((x) => x.imsi !== s.imsi);
  list.push({ ...s, k: s.k.toLowerCase(), opc: s.opc.toLowerCase(), amf: s.amf.toLowerCase(), sqn: INITIAL_SQN });
  writeSubscribers(o, list);
}

/** What `status` may show: never keys. */
export function publicSubscribers(o: LabOptions): { imsi: string; msisdn: string }[] {
  return readSubscribers(o).map((s) => ({ imsi: s.imsi, msisdn: s.msisdn }));
}

/**
 * Sets the SQN the HSS issued last for a subscriber (48 bits). A value far ahead of the USIM's
 * (TS 33.102 C.2.2: more than delta SEQ steps) makes the USIM refuse the next AUTN with a
 * synchronisation failure, so the UE must resynchronise (AUTS, TS 33.102 6.3.5).
 */
export function setSubscriberSqn(o: LabOptions, imsi: string, sqn: string): void {
  if (!/^[0-9a-fA-F]{1,12}$/.test(sqn)) throw new SubscriberError('SQN must be 1-12 hex digits (48 bits)');
  const list = readSubscribers(o);
  const s = list.find((x) => x.imsi === imsi);
  if (!s) throw new SubscriberError(`no subscriber with IMSI ${imsi}`);
  s.sqn = sqn.toLowerCase().padStart(12, '0');
  writeSubscribers(o, list);
}
