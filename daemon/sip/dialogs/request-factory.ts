// Requests outside a dialog (RFC 3261 8.1.1): Request-URI, To, From with a fresh tag, Call-ID,
// CSeq, Max-Forwards, Contact and a preloaded route set (e.g. the Service-Route of a registration,
// RFC 3608 / TS 24.229 5.1.2A.1). The caller (transaction layer) adds Via.
import { Headers } from '../headers.js';
import type { NameAddr } from '../header-values.js';
import { SipRequest } from '../message.js';
import type { Uri } from '../uri.js';
import { cloneNameAddr, withTag, withoutTag } from './name-addr.js';
import { cryptoRandom, type Random } from './random.js';

export interface InitialRequestOptions {
  method: string;
  uri: Uri;
  from: NameAddr;
  to: NameAddr;
  contact?: NameAddr;
  /** preloaded Route set, topmost first */
  routes?: NameAddr[];
  callId?: string;
  fromTag?: string;
  cseq?: number;
  maxForwards?: number;
  body?: Buffer | string;
  contentType?: string;
  headers?: Array<[string, string | number]>;
  random?: Random;
}

export function createInitialRequest(o: InitialRequestOptions): SipRequest {
  const random = o.random ?? cryptoRandom;
  const h = new Headers();
  const req = new SipRequest(o.method, o.uri, h, o.body);
  req.routes = (o.routes ?? []).map(cloneNameAddr);
  h.append('Max-Forwards', o.maxForwards ?? 70);
  req.from = withTag(o.from, o.fromTag ?? random.token());
  req.to = withoutTag(o.to);
  req.callId = o.callId ?? random.token();
  // RFC 3261 8.1.1.5: any number below 2**31; stay low to leave room for in-dialog requests
  req.cseq = { seq: o.cseq ?? random.int(1, 2 ** 16), method: o.method };
  if (o.contact !== undefined) req.contacts = [cloneNameAddr(o.contact)];
  for (const [n, v] of o.headers ?? []) h.append(n, v);
  if (o.contentType !== undefined) h.set('Content-Type', o.contentType);
  return req;
}
