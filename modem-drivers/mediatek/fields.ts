// Splitting the parameters of a MediaTek information line or URC ("+EPDN:1, \"new\", 1, 0, 2454, 1,
// \"172.22.1.100\""): comma separated, strings quoted or bare, spaces around commas allowed (MediaTek's
// RIL test transcripts use both spellings, see COMMANDS.md [RTST]). Pure functions.

export class MediatekParseError extends Error {
  constructor(
    readonly line: string,
    reason: string,
  ) {
    super(`cannot parse "${line}": ${reason}`);
    this.name = 'MediatekParseError';
  }
}

/** The text after "<prefix>:" (or "<prefix> " when the colon is missing), trimmed. */
export function afterPrefix(line: string, prefix: string): string | undefined {
  const t = line.trim();
  if (!t.toUpperCase().startsWith(prefix.toUpperCase())) return undefined;
  const rest = t.slice(prefix.length);
  if (rest.startsWith(':')) return rest.slice(1).trim();
  if (rest === '' || rest.startsWith(' ')) return rest.trim();
  return undefined;
}

/** Comma-separated values; quotes removed; an empty field is ''. A quote left open is an error. */
export function splitFields(line: string, text: string): string[] {
  const out: string[] = [];
  let i = 0;
  if (text.trim() === '') return [];
  for (;;) {
    while (text[i] === ' ') i++;
    let value = '';
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new MediatekParseError(line, 'a quoted string is not closed (truncated line?)');
      value = text.slice(i + 1, end);
      i = end + 1;
      while (text[i] === ' ') i++;
      if (i < text.length && text[i] !== ',') throw new MediatekParseError(line, `unexpected "${text[i]}" after a quoted string`);
    } else {
      const end = text.indexOf(',', i);
      value = (end < 0 ? text.slice(i) : text.slice(i, end)).trim();
      i = end < 0 ? text.length : end;
    }
    out.push(value);
    if (i >= text.length) return out;
    i++; // the comma
  }
}

/** A decimal integer field; `what` names it in the error. */
export function intField(line: string, fields: string[], index: number, what: string): number {
  const v = fields[index];
  if (v === undefined || !/^-?\d+$/.test(v)) throw new MediatekParseError(line, `${what} is not a number (${v === undefined ? 'missing' : `"${v}"`})`);
  return Number(v);
}

export function optionalInt(fields: string[], index: number): number | undefined {
  const v = fields[index];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}
