// Typed reading of oFono's a{sv} property dictionaries. A property of the wrong D-Bus type, or a
// dictionary that is not one, is an OfonoPropertyError naming the object, the interface and the
// key, so a misbehaving oFono build is reported clearly instead of crashing the driver.
import { Variant } from '../../daemon/dbus/binding.js';
import { ModemDriverError } from '../driver.js';

export type Properties = Record<string, Variant>;

/** A property oFono sent is missing or not of the type its API documents. */
export class OfonoPropertyError extends ModemDriverError {
  constructor(
    operation: string,
    readonly path: string,
    readonly iface: string,
    readonly property: string,
    reason: string,
  ) {
    super(operation, `${iface} ${property} of ${path} ${reason}`);
    this.name = 'OfonoPropertyError';
  }
}

/** Where a dictionary came from, for the error message. */
export interface Origin {
  operation: string;
  path: string;
  iface: string;
}

const describe = (v: unknown): string => (v instanceof Variant ? `a value of type ${v.signature}` : `${typeof v} ${JSON.stringify(v)}`);

/** a{sv} as received (each value a Variant) or an OfonoPropertyError */
export function asProperties(value: unknown, at: Origin, what = 'properties'): Properties {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new OfonoPropertyError(at.operation, at.path, at.iface, what, 'is not a dictionary');
  }
  for (const [k, v] of Object.entries(value)) {
    if (!(v instanceof Variant)) throw new OfonoPropertyError(at.operation, at.path, at.iface, k, `is ${describe(v)}, not a variant`);
  }
  return value as Properties;
}

function typed<T>(props: Properties, key: string, at: Origin, signature: string, check: (v: unknown) => boolean): T | undefined {
  const v = props[key];
  if (v === undefined) return undefined;
  if (v.signature !== signature || !check(v.value)) {
    throw new OfonoPropertyError(at.operation, at.path, at.iface, key, `has type ${v.signature}, expected ${signature}`);
  }
  return v.value as T;
}

export const optString = (p: Properties, key: string, at: Origin): string | undefined =>
  typed<string>(p, key, at, 's', (v) => typeof v === 'string');

export const optBoolean = (p: Properties, key: string, at: Origin): boolean | undefined =>
  typed<boolean>(p, key, at, 'b', (v) => typeof v === 'boolean');

export const optStrings = (p: Properties, key: string, at: Origin): string[] | undefined =>
  typed<string[]>(p, key, at, 'as', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** an unsigned or signed integer of any width (y, q, u, n, i) */
export function optInteger(p: Properties, key: string, at: Origin): number | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (!['y', 'q', 'u', 'n', 'i'].includes(v.signature) || typeof v.value !== 'number') {
    throw new OfonoPropertyError(at.operation, at.path, at.iface, key, `has type ${v.signature}, expected an integer`);
  }
  return v.value;
}

/** a nested a{sv} (ConnectionContext Settings / IPv6.Settings) */
export function optDictionary(p: Properties, key: string, at: Origin): Properties | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (v.signature !== 'a{sv}') throw new OfonoPropertyError(at.operation, at.path, at.iface, key, `has type ${v.signature}, expected a{sv}`);
  return asProperties(v.value, at, key);
}

export function reqString(p: Properties, key: string, at: Origin): string {
  const v = optString(p, key, at);
  if (v === undefined) throw new OfonoPropertyError(at.operation, at.path, at.iface, key, 'is missing');
  return v;
}

export function reqBoolean(p: Properties, key: string, at: Origin): boolean {
  const v = optBoolean(p, key, at);
  if (v === undefined) throw new OfonoPropertyError(at.operation, at.path, at.iface, key, 'is missing');
  return v;
}
