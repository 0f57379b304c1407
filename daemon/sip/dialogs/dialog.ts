// Dialog state (RFC 3261 12): identity, route set, remote target, local and remote CSeq, and
// building in-dialog requests. Sans-I/O: it neither sends nor times anything.
import { Headers } from '../headers.js';
import type { Contact, NameAddr } from '../header-values.js';
import { SipRequest, type SipResponse } from '../message.js';
import { Params } from '../params.js';
import { cloneUri, isSipUri, type Uri } from '../uri.js';
import { dialogKey, type DialogId } from './dialog-id.js';
import { DialogStateError } from './errors.js';
import { cloneNameAddr, withoutTag, withTag } from './name-addr.js';
import { cryptoRandom, type Random } from './random.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';
export type DialogRole = 'uac' | 'uas';

/** RFC 3261 12.2 (INVITE), RFC 3311 (UPDATE), RFC 6665 4.1/4.2 (SUBSCRIBE, NOTIFY), RFC 3515 (REFER). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export function isTargetRefresh(method: string): boolean {
  return TARGET_REFRESH.has(method);
}

/** RFC 3261 8.1.1.5: CSeq numbers stay below 2**31; start low enough to leave room to count. */
const MAX_INITIAL_CSEQ = 2 ** 30;
const MAX_CSEQ = 2 ** 31 - 1;

export interface DialogOptions {
  /** our Contact, sent in target refresh requests */
  localContact: NameAddr;
  random?: Random;
  /** Max-Forwards of requests we build (default 70, RFC 3261 8.1.1.6) */
  maxForwards?: number;
}

export interface InDialogRequestOptions {
  /** for ACK: the CSeq number of the INVITE being acknowledged (RFC 3261 13.2.2.4) */
  cseq?: number;
  body?: Buffer | string;
  contentType?: string;
  /** extra header fields, appended in order */
  headers?: Array<[string, string | number]>;
}

export type RequestCheck = { accept: true } | { accept: false; status: number; reason: string };

interface DialogInit {
  role: DialogRole;
  state: DialogState;
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  secure: boolean;
  localSeq?: number;
  remoteSeq?: number;
}

function firstContactUri(contacts: Contact[]): Uri | undefined {
  for (const c of contacts) if (c !== '*') return cloneUri(c.uri);
  return undefined;
}

export class Dialog {
  readonly role: DialogRole;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly secure: boolean;
  state: DialogState;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  localContact: NameAddr;
  readonly #random: Random;
  readonly #maxForwards: number;

  private constructor(init: DialogInit, options: DialogOptions) {
    this.role = init.role;
    this.state = init.state;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localContact = cloneNameAddr(options.localContact);
    this.#random = options.random ?? cryptoRandom;
    this.#maxForwards = options.maxForwards ?? 70;
  }

  /**
   * RFC 3261 12.1.2: the UAC side, from our request and a 1xx (with To tag) or 2xx response.
   * Route set = Record-Route of the response in reverse order; remote target = its Contact.
   */
  static asUac(request: SipRequest, response: SipResponse, options: DialogOptions): Dialog {
    const remoteTag = response.toTag;
    const localTag = request.fromTag;
    if (remoteTag === undefined) throw new DialogStateError('a response without To tag creates no dialog');
    if (localTag === undefined) throw new DialogStateError('our request has no From tag');
    if (response.status < 101 || response.status >= 300)
      throw new DialogStateError(`a ${response.status} response creates no dialog`);
    return new Dialog(
      {
        role: 'uac',
        state: response.status >= 200 ? 'confirmed' : 'early',
        callId: request.callId,
        localTag,
        remoteTag,
        localUri: withoutTag(request.from),
        remoteUri: withoutTag(request.to),
        // a 1xx may lack Contact; the Request-URI is then the best target we have
        remoteTarget: firstContactUri(response.contacts) ?? cloneUri(request.uri),
        routeSet: response.recordRoutes.reverse(),
        secure: request.uri.scheme === 'sips',
        localSeq: request.cseq.seq,
      },
      options,
    );
  }

  /**
   * RFC 3261 12.1.1: the UAS side, from a dialog-creating request and the To tag we put in our
   * response. Route set = Record-Route of the request in order; remote target = its Contact.
   */
  static asUas(request: SipRequest, localTag: string, options: DialogOptions & { state?: DialogState }): Dialog {
    const target = firstContactUri(request.contacts);
    if (target === undefined) throw new DialogStateError(`${request.method} without Contact creates no dialog`);
    return new Dialog(
      {
        role: 'uas',
        state: options.state ?? 'early',
        callId: request.callId,
        localTag,
        remoteTag: request.fromTag ?? '',
        localUri: withoutTag(request.to),
        remoteUri: withoutTag(request.from),
        remoteTarget: target,
        routeSet: request.recordRoutes,
        secure: request.uri.scheme === 'sips',
        remoteSeq: request.cseq.seq,
      },
      options,
    );
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /**
   * UAC: a 2xx to the INVITE confirms an early dialog; RFC 3261 13.2.2.4 recomputes the route set
   * (12.2.1.2: a target refresh response updates the remote target) from that 2xx.
   */
  confirmWith(response: SipResponse): void {
    if (this.state === 'terminated') throw new DialogStateError('dialog is terminated');
    if (this.role === 'uac' && this.state === 'early') this.routeSet = response.recordRoutes.reverse();
    const target = firstContactUri(response.contacts);
    if (target !== undefined) this.remoteTarget = target;
    this.state = 'confirmed';
  }

  /** UAS: our 2xx was sent. */
  confirm(): void {
    if (this.state === 'terminated') throw new DialogStateError('dialog is terminated');
    this.state = 'confirmed';
  }

  terminate(): void {
    this.state = 'terminated';
  }

  /**
   * RFC 3261 12.2.2: check an incoming in-dialog request's CSeq (lower than the remote sequence
   * number: out of order, 500) and apply a target refresh. ACK and CANCEL carry the CSeq of the
   * request they belong to and are not checked.
   */
  receiveRequest(req: SipRequest): RequestCheck {
    if (this.state === 'terminated') return { accept: false, status: 481, reason: 'dialog is terminated' };
    if (req.method === 'ACK' || req.method === 'CANCEL') return { accept: true };
    const seq = req.cseq.seq;
    if (this.remoteSeq !== undefined && seq < this.remoteSeq)
      return { accept: false, status: 500, reason: `CSeq ${seq} is lower than ${this.remoteSeq}` };
    this.remoteSeq = seq;
    if (isTargetRefresh(req.method)) {
      const target = firstContactUri(req.contacts);
      if (target !== undefined) this.remoteTarget = target;
    }
    return { accept: true };
  }

  /** RFC 3261 12.2.1.2: a 2xx to our target refresh request replaces the remote target. */
  receiveResponse(method: string, res: SipResponse): void {
    if (res.status < 200 || res.status >= 300 || !isTargetRefresh(method)) return;
    const target = firstContactUri(res.contacts);
    if (target !== undefined) this.remoteTarget = target;
  }

  /** The CSeq number the next request will carry (without using it up). */
  nextLocalSeq(): number {
    return this.localSeq === undefined ? this.#random.int(1, MAX_INITIAL_CSEQ) : this.localSeq + 1;
  }

  /**
   * RFC 3261 12.2.1.1: build a request within the dialog. CSeq increments by one (ACK takes the
   * INVITE's number); Request-URI and Route follow loose or strict routing; From/To carry the
   * dialog's tags. The caller adds Via (the transaction layer owns the branch).
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    // an ACK still completes a 2xx that arrives after the dialog ended (RFC 3261 13.2.2.4)
    if (this.state === 'terminated' && method !== 'ACK') throw new DialogStateError(`cannot send ${method}: dialog is terminated`);
    if (method === 'CANCEL') throw new DialogStateError('CANCEL is built from the INVITE it cancels (createCancel)');
    let seq: number;
    if (method === 'ACK') {
      if (options.cseq === undefined) throw new DialogStateError('ACK needs the CSeq number of its INVITE');
      seq = options.cseq;
    } else {
      seq = this.nextLocalSeq();
      if (seq > MAX_CSEQ) throw new DialogStateError('local CSeq exhausted');
      this.localSeq = seq;
    }
    const { uri, routes } = this.#requestTarget();
    const h = new Headers();
    const req = new SipRequest(method, uri, h, options.body);
    req.routes = routes;
    h.append('Max-Forwards', this.#maxForwards);
    req.from = withTag(this.localUri, this.localTag);
    req.to = withTag(this.remoteUri, this.remoteTag);
    req.callId = this.callId;
    req.cseq = { seq, method };
    if (isTargetRefresh(method)) req.contacts = [cloneNameAddr(this.localContact)];
    for (const [n, v] of options.headers ?? []) h.append(n, v);
    if (options.contentType !== undefined) h.set('Content-Type', options.contentType);
    return req;
  }

  /** RFC 3261 12.2.1.1: loose routing when the route set is empty or its first entry has "lr". */
  #requestTarget(): { uri: Uri; routes: NameAddr[] } {
    const routes = this.routeSet.map(cloneNameAddr);
    const first = routes[0];
    if (first === undefined || (isSipUri(first.uri) && first.uri.params.has('lr')))
      return { uri: cloneUri(this.remoteTarget), routes };
    // strict router: it gets the Request-URI, the remote target goes last in Route
    const uri = cloneUri(first.uri);
    if (isSipUri(uri)) {
      uri.params.delete('method'); // 19.1.1 table: not allowed in a Request-URI
      uri.headers = [];
    }
    const rest = routes.slice(1);
    rest.push({ uri: cloneUri(this.remoteTarget), params: new Params() });
    return { uri, routes: rest };
  }
}
