// Ordered ";name[=value]" parameter lists (URI and header parameters). Names compare
// case-insensitively (RFC 3261 7.3.1, 19.1.4); values are kept exactly as received
// (a quoted value keeps its quotes) so a message re-serialises unchanged.

export class Params {
  private readonly list: Array<[string, string | null]> = [];

  constructor(entries?: Iterable<readonly [string, string | null]>) {
    if (entries) for (const [n, v] of entries) this.list.push([n, v]);
  }

  private index(name: string): number {
    const l = name.toLowerCase();
    for (let i = 0; i < this.list.length; i++) if (this.list[i][0].toLowerCase() === l) return i;
    return -1;
  }

  /** The raw value; null for a parameter without value; undefined when absent. */
  get(name: string): string | null | undefined {
    const i = this.index(name);
    return i < 0 ? undefined : this.list[i][1];
  }

  /** The value with surrounding quotes and quoted-pair escapes removed. */
  getUnquoted(name: string): string | null | undefined {
    const v = this.get(name);
    if (v === null || v === undefined) return v;
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
    return v;
  }

  has(name: string): boolean {
    return this.index(name) >= 0;
  }

  /** Replace the value of an existing parameter (keeping its place) or append it. */
  set(name: string, value: string | null = null): this {
    const i = this.index(name);
    if (i >= 0) this.list[i][1] = value;
    else this.list.push([name, value]);
    return this;
  }

  delete(name: string): boolean {
    const i = this.index(name);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }

  get size(): number {
    return this.list.length;
  }

  entries(): Array<[string, string | null]> {
    return this.list.map(([n, v]) => [n, v]);
  }

  [Symbol.iterator](): IterableIterator<[string, string | null]> {
    return this.entries()[Symbol.iterator]();
  }

  clone(): Params {
    return new Params(this.list);
  }

  /** ";a=b;c" form (empty string when there are none). */
  toString(): string {
    let s = '';
    for (const [n, v] of this.list) s += v === null ? `;${n}` : `;${n}=${v}`;
    return s;
  }
}
