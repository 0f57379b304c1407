// The parameters of a MediaTek information line or URC ("+EPDN:1, \"new\", 1, 0, 2454, 1,
// \"172.22.1.100\""): comma separated, strings quoted or bare, spaces around commas allowed (MediaTek's
// RIL test transcripts use both spellings, see COMMANDS.md [RTST]); split by the generic 27.007
// parser, checked field by field here. Pure functions.
import { splitParams } from '../at/responses.js';

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

/** The parameters of MediaTek lines, split by the 27.007 parser (quotes removed, empty ones ''). */
export function splitFields(_line: string, text: string): string[] {
  return text.trim() === '' ? [] : splitParams(text);
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
