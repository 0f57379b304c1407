// parseMessage: one complete SIP message (a UDP datagram, or a frame cut by the stream framer)
// into a SipRequest/SipResponse. Syntax per RFC 3261 section 25; the headers the lower layers
// rely on (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Contact, Route,
// Record-Route, Date, RSeq, RAck) are validated here so a malformed message is rejected with a
// SipParseError (status 400, or 505 for another SIP version) instead of failing later.
import { SipParseError } from './errors.js';
import { isToken, isWsp } from './grammar.js';
import { Headers } from './headers.js';
import { parseCallId, parseContact, parseCSeq, parseNameAddr, parseRAck, parseUnsigned, parseVia } from './header-values.js';
import { SipRequest, SipResponse, type SipMessage } from './message.js';
import { isSipUri, parseUri } from './uri.js';

export { SipParseError } from './errors.js';

export interface ParseOptions {
  /** Skip the header validation (Via, From, To, ...) and only split the message. */
  lenient?: boolean;
}

export interface RawMessage {
  startLine: string;
  headers: Headers;
  body: Buffer;
  /** every Content-Length field value seen */
  contentLengths: string[];
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Index of the end of the header section and the length of its terminator (CRLF CRLF or LF LF). */
function findHeaderEnd(buf: Buffer, from: number): [number, number] {
  const i = buf.indexOf(CRLFCRLF, from);
  if (i >= 0) return [i, 4];
  const j = buf.indexOf('\n\n', from, 'latin1');
  if (j >= 0) return [j, 2];
  return [-1, 0];
}

/** Split a message into start line, unfolded header fields and body (no header validation). */
export function splitMessage(data: Buffer | string): RawMessage {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let start = 0;
  // RFC 3261 7.5: ignore CRLFs before the start-line
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start >= buf.length) throw new SipParseError('empty message', 'message');
  const found = findHeaderEnd(buf, start);
  let end = found[0];
  const termLen = found[1];
  let bodyStart: number;
  if (end < 0) {
    // a message without body may end right after the last header's CRLF
    if (buf.length >= 2 && buf[buf.length - 2] === 0x0d && buf[buf.length - 1] === 0x0a) {
      end = buf.length - 2;
      bodyStart = buf.length;
    } else throw new SipParseError('no empty line after the header section', 'message');
  } else bodyStart = end + termLen;
  const head = buf.toString('utf8', start, end);
  const lines = head.split(/\r?\n/);
  const startLine = lines[0];
  const headers = new Headers();
  const contentLengths: string[] = [];
  let name: string | undefined;
  let value = '';
  const flush = (): void => {
    if (name === undefined) return;
    const v = value.trim();
    headers.append(name, v);
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'l') contentLengths.push(v);
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > 0 && isWsp(line.charCodeAt(0))) {
      // RFC 3261 7.3.1: a line starting with whitespace continues the previous field (folding)
      if (name === undefined) throw new SipParseError('continuation line before any header', 'headers');
      value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`header line without ":" ("${line.slice(0, 40)}")`, 'headers');
    const n = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(n)) throw new SipParseError(`invalid header name "${n}"`, 'headers');
    name = n;
    value = line.slice(colon + 1);
  }
  flush();
  let body = buf.subarray(bodyStart);
  if (contentLengths.length > 0 && contentLengths.every((v) => v === contentLengths[0])) {
    const len = parseUnsigned(contentLengths[0], 'Content-Length');
    if (len > body.length) throw new SipParseError(`Content-Length ${len} exceeds the ${body.length} body bytes received`, 'Content-Length');
    // RFC 3261 18.3: octets beyond Content-Length in a datagram are discarded
    body = body.subarray(0, len);
  }
  // Differing Content-Length values (RFC 4475 3.3.9) are left to the application layer: the
  // body is then everything received, and validateMessage reports the conflict.
  return { startLine, headers, body: Buffer.from(body), contentLengths };
}

const VERSION_RE = /^SIP\/(\d+)\.(\d+)$/i;

function checkVersion(v: string): string {
  if (!VERSION_RE.test(v)) throw new SipParseError(`invalid SIP version "${v}"`, 'start-line');
  // RFC 3261 8.2.2 / 21.5.6: any other version is answered 505
  if (v.toUpperCase() !== 'SIP/2.0') throw new SipParseError(`unsupported version "${v}"`, 'start-line', 505);
  return 'SIP/2.0';
}

function parseStartLine(line: string, headers: Headers, body: Buffer): SipMessage {
  if (line.startsWith('SIP/') || /^SIP\//i.test(line)) {
    const m = /^(\S+) (\d{3})(?: (.*))?$/.exec(line);
    if (!m) throw new SipParseError(`malformed status line "${line.slice(0, 60)}"`, 'start-line');
    const version = checkVersion(m[1]);
    const status = Number(m[2]);
    if (status < 100 || status > 699) throw new SipParseError(`status code ${status} out of range`, 'start-line');
    const res = new SipResponse(status, m[3] ?? '', headers, body);
    res.version = version;
    return res;
  }
  // RFC 3261 25.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF (exactly one SP each)
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '' || /[\t]/.test(p)))
    throw new SipParseError(`malformed request line "${line.slice(0, 80)}"`, 'start-line');
  const [method, uriText, version] = parts;
  if (!isToken(method)) throw new SipParseError(`invalid method "${method}"`, 'start-line');
  const v = checkVersion(version);
  const uri = parseUri(uriText, 'Request-URI');
  // RFC 3261 19.1.1 table 1: headers are not allowed in a Request-URI
  if (isSipUri(uri) && uri.headers.length > 0) throw new SipParseError('headers are not allowed in the Request-URI', 'Request-URI');
  const req = new SipRequest(method, uri, headers, body);
  req.version = v;
  return req;
}

const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Validate the headers that the SIP layers themselves interpret. Throws SipParseError. */
export function validateHeaders(msg: SipMessage): void {
  const h = msg.headers;
  for (const v of h.getAll('Via')) parseVia(v);
  for (const v of h.getFields('From')) parseNameAddr(v, 'From');
  for (const v of h.getFields('To')) parseNameAddr(v, 'To');
  for (const v of h.getFields('Call-ID')) parseCallId(v);
  for (const v of h.getFields('CSeq')) {
    const c = parseCSeq(v);
    // RFC 3261 8.1.1.5 / RFC 4475 3.1.2.17: the CSeq method must match the request method
    if (msg.isRequest() && c.method !== msg.method) throw new SipParseError(`method "${c.method}" does not match "${msg.method}"`, 'CSeq');
  }
  for (const v of h.getFields('Max-Forwards')) parseUnsigned(v, 'Max-Forwards', 255);
  for (const v of h.getFields('Content-Length')) parseUnsigned(v, 'Content-Length');
  for (const v of h.getAll('Contact')) parseContact(v);
  for (const v of h.getAll('Route')) parseNameAddr(v, 'Route');
  for (const v of h.getAll('Record-Route')) parseNameAddr(v, 'Record-Route');
  for (const v of h.getFields('RSeq')) parseUnsigned(v, 'RSeq');
  for (const v of h.getFields('RAck')) parseRAck(v);
  // RFC 3261 20.17: Date is an rfc1123-date and always in GMT
  for (const v of h.getFields('Date')) if (!DATE_RE.test(v)) throw new SipParseError(`invalid date "${v}"`, 'Date');
  // RFC 3261 20.43: warn-code is 3DIGIT
  for (const v of h.getAll('Warning')) if (!/^\d{3} \S+ "/.test(v)) throw new SipParseError(`malformed "${v}"`, 'Warning');
}

/** Parse a complete SIP message. Throws SipParseError (typed, with the status to answer). */
export function parseMessage(data: Buffer | string, options: ParseOptions = {}): SipRequest | SipResponse {
  const raw = splitMessage(data);
  const msg = parseStartLine(raw.startLine, raw.headers, raw.body) as SipRequest | SipResponse;
  if (!options.lenient) validateHeaders(msg);
  return msg;
}
