// An ordered collection of header fields, looked up by canonical name. Compact and long forms
// are the same header; names compare case-insensitively (RFC 3261 7.3.1).
import { splitList } from './grammar.js';
import { canonicalHeaderName, headerKey, isListHeader } from './header-names.js';

export interface HeaderField {
  /** canonical name (compact forms expanded) */
  name: string;
  /** the field value, unfolded, with surrounding whitespace removed */
  value: string;
}

interface Entry extends HeaderField {
  key: string;
}

export class Headers implements Iterable<HeaderField> {
  private readonly fields: Entry[] = [];

  constructor(init?: Iterable<HeaderField> | Array<[string, string]>) {
    if (init) for (const f of init as Iterable<HeaderField | [string, string]>) {
      if (Array.isArray(f)) this.append(f[0], f[1]);
      else this.append(f.name, f.value);
    }
  }

  /** The first field's value, or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every field value of this header, in order, without splitting comma lists. */
  getFields(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (f.key === key) out.push(f.value);
    return out;
  }

  /**
   * Every value of this header: for list headers (Via, Contact, Route, Supported, ...) each
   * field is split on top-level commas, so "Via: a, b" and two Via lines give the same result.
   */
  getAll(name: string): string[] {
    const fields = this.getFields(name);
    if (!isListHeader(name)) return fields;
    const out: string[] = [];
    for (const v of fields) for (const part of splitList(v)) out.push(part);
    return out;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.fields.some((f) => f.key === key);
  }

  count(name: string): number {
    return this.getFields(name).length;
  }

  /** Add a field after the existing ones. */
  append(name: string, value: string | number): this {
    const canonical = canonicalHeaderName(name);
    this.fields.push({ name: canonical, key: headerKey(canonical), value: String(value) });
    return this;
  }

  /** Add a field before the first field of the same name (or at the end if none), e.g. a new top Via. */
  prepend(name: string, value: string | number): this {
    const canonical = canonicalHeaderName(name);
    const key = headerKey(canonical);
    const entry = { name: canonical, key, value: String(value) };
    const i = this.fields.findIndex((f) => f.key === key);
    if (i < 0) this.fields.push(entry);
    else this.fields.splice(i, 0, entry);
    return this;
  }

  /** Replace every field of this header by the given value(s), at the place of the first one. */
  set(name: string, value: string | number | Array<string | number>): this {
    const canonical = canonicalHeaderName(name);
    const key = headerKey(canonical);
    const values = (Array.isArray(value) ? value : [value]).map(String);
    const first = this.fields.findIndex((f) => f.key === key);
    this.remove(name);
    const at = first < 0 ? this.fields.length : first;
    this.fields.splice(at, 0, ...values.map((v) => ({ name: canonical, key, value: v })));
    return this;
  }

  /** Remove every field of this header; returns how many were removed. */
  remove(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (this.fields[i].key === key) {
        this.fields.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  /** Remove the first value of a (list) header, e.g. the top Via or top Route; returns it. */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const i = this.fields.findIndex((f) => f.key === key);
    if (i < 0) return undefined;
    const f = this.fields[i];
    if (!isListHeader(name)) {
      this.fields.splice(i, 1);
      return f.value;
    }
    const parts = splitList(f.value);
    const first = parts.shift();
    if (parts.length === 0) this.fields.splice(i, 1);
    else f.value = parts.join(', ');
    return first;
  }

  get size(): number {
    return this.fields.length;
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields.map((f) => ({ name: f.name, value: f.value }))[Symbol.iterator]();
  }

  clone(): Headers {
    return new Headers(this);
  }
}
