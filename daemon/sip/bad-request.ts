// Answer a malformed request (RFC 3261 8.2.6.2 / RFC 4475 section 1): when Via, From, To,
// Call-ID and CSeq can still be read from the raw bytes, build the 400 (or 505 for an
// unsupported version) that copies them, so the client's transaction ends cleanly.
import { SipParseError } from './errors.js';
import { headerKey } from './header-names.js';
import { Headers } from './headers.js';
import { SipResponse } from './message.js';

export interface SalvagedHeaders {
  isRequest: boolean;
  via: string[];
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
}

/** Read the start line and the transaction-identifying headers without validating anything. */
export function salvageHeaders(data: Buffer | string): SalvagedHeaders {
  const text = typeof data === 'string' ? data : data.toString('utf8', 0, Math.min(data.length, 65536));
  const headEnd = text.search(/\r?\n\r?\n/);
  const lines = (headEnd >= 0 ? text.slice(0, headEnd) : text).replace(/^(\r?\n)+/, '').split(/\r?\n/);
  const out: SalvagedHeaders = { isRequest: !/^SIP\//i.test(lines[0] ?? ''), via: [] };
  const unfolded: string[] = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = headerKey(line.slice(0, colon).trim());
    const value = line.slice(colon + 1).trim();
    if (value === '') continue;
    if (key === 'via') out.via.push(value);
    else if (key === 'from') out.from ??= value;
    else if (key === 'to') out.to ??= value;
    else if (key === 'call-id') out.callId ??= value;
    else if (key === 'cseq') out.cseq ??= value;
  }
  return out;
}

export interface ErrorResponseOptions {
  /** To tag to add when the request's To has none (RFC 3261 8.2.6.2); inject for determinism */
  toTag?: string;
}

/**
 * Build the response to a request that failed to parse, or undefined when it was a response
 * (never answered) or when Via, From, To, Call-ID or CSeq cannot be salvaged.
 */
export function buildErrorResponse(
  data: Buffer | string,
  error: SipParseError,
  options: ErrorResponseOptions = {},
): SipResponse | undefined {
  const s = salvageHeaders(data);
  if (!s.isRequest || s.via.length === 0 || !s.from || !s.to || !s.callId || !s.cseq) return undefined;
  const headers = new Headers();
  for (const v of s.via) headers.append('Via', v);
  headers.append('From', s.from);
  let to = s.to;
  if (options.toTag !== undefined && !/;\s*tag\s*=/i.test(to)) to += `;tag=${options.toTag}`;
  headers.append('To', to);
  headers.append('Call-ID', s.callId);
  headers.append('CSeq', s.cseq);
  const reason = error.status === 505 ? 'Version Not Supported' : 'Bad Request';
  // RFC 3261 20.43: say what was wrong in a Warning (399 = miscellaneous warning)
  headers.append('Warning', `399 - "${error.message.replace(/["\\\r\n]/g, ' ').slice(0, 200)}"`);
  return new SipResponse(error.status, reason, headers);
}

export { SipParseError };
