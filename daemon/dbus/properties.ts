// oFono's property dictionaries (a{sv}) and the PropertyChanged(s, v) signal value.
import { Variant } from './binding.js';

export type PropertyValue = boolean | string | string[] | number;

export type PropertyMap = Record<string, PropertyValue | undefined>;

/** D-Bus type of a property value: b, s, as, or y for the VoiceCall Icon byte */
export function typeOf(value: PropertyValue): string {
  if (typeof value === 'boolean') return 'b';
  if (typeof value === 'string') return 's';
  if (typeof value === 'number') return 'y';
  return 'as';
}

export const variantOf = (value: PropertyValue): Variant => new Variant(typeOf(value), value);

/** a{sv} of the properties that are known (undefined ones are absent, as in oFono) */
export function toDict(props: PropertyMap): Record<string, Variant> {
  const out: Record<string, Variant> = {};
  for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = variantOf(v);
  return out;
}

/** names whose value differs between two snapshots (including appearing) */
export function changedNames(before: PropertyMap, after: PropertyMap): string[] {
  return Object.keys(after).filter((k) => after[k] !== undefined && !sameValue(before[k], after[k]));
}

function sameValue(x: PropertyValue | undefined, y: PropertyValue | undefined): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
  return x === y;
}
