// Character classes and small scanning helpers from the RFC 3261 section 25 ABNF.

const TOKEN_EXTRA = "-.!%*_+`'~";
const WORD_EXTRA = "-.!%*_+`'~()<>:\\\"/[]?{}";

function table(extra: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of extra) t[ch.charCodeAt(0)] = 1;
  return t;
}

const TOKEN = table(TOKEN_EXTRA);
const WORD = table(WORD_EXTRA);

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

/** RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** RFC 3261 25.1: word, used by Call-ID. */
export function isWord(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || WORD[c] !== 1) return false;
  }
  return true;
}

export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Quote a string as a quoted-string (RFC 3261 25.1), escaping '"' and '\'. */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/** A cursor over one (already unfolded) header value. */
export class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly where: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  skipWs(): void {
    while (this.pos < this.text.length && isWsp(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** Consume `ch` (after optional whitespace) if present. */
  eat(ch: string): boolean {
    this.skipWs();
    if (this.text[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Read a token (RFC 3261 token), possibly empty. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.text.length && isTokenChar(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Read a quoted-string starting at '"'; returns the unescaped content or undefined if unterminated. */
  quoted(): string | undefined {
    if (this.text[this.pos] !== '"') return undefined;
    let out = '';
    let i = this.pos + 1;
    while (i < this.text.length) {
      const ch = this.text[i];
      if (ch === '\\') {
        if (i + 1 >= this.text.length) return undefined;
        out += this.text[i + 1];
        i += 2;
        continue;
      }
      if (ch === '"') {
        this.pos = i + 1;
        return out;
      }
      out += ch;
      i++;
    }
    return undefined;
  }

  rest(): string {
    return this.text.slice(this.pos);
  }
}

/**
 * Split a header value on top-level commas (outside quoted strings and angle brackets),
 * as for headers whose ABNF is a comma-separated list (RFC 3261 7.3.1).
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}
