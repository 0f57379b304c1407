// The SIP message model: requests and responses with ordered headers, a byte body and typed
// accessors for the headers the transaction and dialog layers need. Accessors parse on demand
// and throw SipParseError for malformed values; setters write the formatted value back.
import { SipParseError } from './errors.js';
import { Headers } from './headers.js';
import {
  formatContact,
  formatCSeq,
  formatNameAddr,
  formatRAck,
  formatVia,
  parseCallId,
  parseContact,
  parseCSeq,
  parseNameAddr,
  parseRAck,
  parseUnsigned,
  parseVia,
  type Contact,
  type CSeq,
  type NameAddr,
  type RAck,
  type Via,
} from './header-values.js';
import { type Uri } from './uri.js';

export const SIP_VERSION = 'SIP/2.0';

export abstract class SipMessage {
  readonly headers: Headers;
  body: Buffer;
  /** "SIP/2.0" unless the message was received with another version */
  version = SIP_VERSION;

  constructor(headers?: Headers, body?: Buffer | string) {
    this.headers = headers ?? new Headers();
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? Buffer.alloc(0));
  }

  abstract isRequest(): this is SipRequest;
  abstract isResponse(): this is SipResponse;

  private required(name: string): string {
    const v = this.headers.get(name);
    if (v === undefined) throw new SipParseError('missing header', name);
    return v;
  }

  /** Every Via value, topmost first. */
  get vias(): Via[] {
    return this.headers.getAll('Via').map(parseVia);
  }
  set vias(v: Via[]) {
    this.headers.set('Via', v.map(formatVia));
  }
  /** The topmost Via (throws if there is none). */
  get topVia(): Via {
    const v = this.headers.getAll('Via')[0];
    if (v === undefined) throw new SipParseError('missing header', 'Via');
    return parseVia(v);
  }

  get from(): NameAddr {
    return parseNameAddr(this.required('From'), 'From');
  }
  set from(v: NameAddr) {
    this.headers.set('From', formatNameAddr(v));
  }
  get to(): NameAddr {
    return parseNameAddr(this.required('To'), 'To');
  }
  set to(v: NameAddr) {
    this.headers.set('To', formatNameAddr(v));
  }
  /** From tag (undefined when absent, e.g. RFC 2543 peers). */
  get fromTag(): string | undefined {
    return this.from.params.get('tag') ?? undefined;
  }
  get toTag(): string | undefined {
    return this.to.params.get('tag') ?? undefined;
  }

  get callId(): string {
    return parseCallId(this.required('Call-ID'));
  }
  set callId(v: string) {
    this.headers.set('Call-ID', v);
  }

  get cseq(): CSeq {
    return parseCSeq(this.required('CSeq'));
  }
  set cseq(v: CSeq) {
    this.headers.set('CSeq', formatCSeq(v));
  }

  /** Contact values ("*" for a wildcard); empty when absent. */
  get contacts(): Contact[] {
    return this.headers.getAll('Contact').map(parseContact);
  }
  set contacts(v: Contact[]) {
    if (v.length === 0) this.headers.remove('Contact');
    else this.headers.set('Contact', v.map(formatContact));
  }

  get routes(): NameAddr[] {
    return this.headers.getAll('Route').map((r) => parseNameAddr(r, 'Route'));
  }
  set routes(v: NameAddr[]) {
    if (v.length === 0) this.headers.remove('Route');
    else this.headers.set('Route', v.map(formatNameAddr));
  }

  get recordRoutes(): NameAddr[] {
    return this.headers.getAll('Record-Route').map((r) => parseNameAddr(r, 'Record-Route'));
  }
  set recordRoutes(v: NameAddr[]) {
    if (v.length === 0) this.headers.remove('Record-Route');
    else this.headers.set('Record-Route', v.map(formatNameAddr));
  }

  /** Max-Forwards (RFC 3261 20.22), undefined when absent. */
  get maxForwards(): number | undefined {
    const v = this.headers.get('Max-Forwards');
    return v === undefined ? undefined : parseUnsigned(v, 'Max-Forwards', 255);
  }
  set maxForwards(v: number | undefined) {
    if (v === undefined) this.headers.remove('Max-Forwards');
    else this.headers.set('Max-Forwards', v);
  }

  /** Content-Length as received (undefined when absent); the serializer always writes body.length. */
  get contentLength(): number | undefined {
    const v = this.headers.get('Content-Length');
    return v === undefined ? undefined : parseUnsigned(v, 'Content-Length');
  }

  get contentType(): string | undefined {
    return this.headers.get('Content-Type');
  }

  /** RSeq (RFC 3262 7.1), undefined when absent. */
  get rseq(): number | undefined {
    const v = this.headers.get('RSeq');
    return v === undefined ? undefined : parseUnsigned(v, 'RSeq');
  }
  set rseq(v: number | undefined) {
    if (v === undefined) this.headers.remove('RSeq');
    else this.headers.set('RSeq', v);
  }

  /** RAck (RFC 3262 7.2), undefined when absent. */
  get rack(): RAck | undefined {
    const v = this.headers.get('RAck');
    return v === undefined ? undefined : parseRAck(v);
  }
  set rack(v: RAck | undefined) {
    if (v === undefined) this.headers.remove('RAck');
    else this.headers.set('RAck', formatRAck(v));
  }

  /** Option tags of a list header such as Supported, Require, Proxy-Require, Unsupported. */
  optionTags(name: 'Supported' | 'Require' | 'Proxy-Require' | 'Unsupported' | string): string[] {
    return this.headers.getAll(name).filter((t) => t !== '');
  }
}

export class SipRequest extends SipMessage {
  constructor(
    public method: string,
    public uri: Uri,
    headers?: Headers,
    body?: Buffer | string,
  ) {
    super(headers, body);
  }
  isRequest(): this is SipRequest {
    return true;
  }
  isResponse(): this is SipResponse {
    return false;
  }
}

export class SipResponse extends SipMessage {
  constructor(
    public status: number,
    public reason: string,
    headers?: Headers,
    body?: Buffer | string,
  ) {
    super(headers, body);
  }
  isRequest(): this is SipRequest {
    return false;
  }
  isResponse(): this is SipResponse {
    return true;
  }
}

export type { Contact, CSeq, NameAddr, RAck, Via };
