// Our stack as the peers' counterpart: SipTransport + the transaction layer (SipEndpoint) +
// HTTP digest from daemon/auth, with the small amount of user-agent glue a test needs
// (building requests, answering 401/407 once, collecting incoming requests).
import { randomBytes } from 'node:crypto';
import { chooseQop, computeResponse, formatAuthorization, parseChallenge } from '../../../../../daemon/auth/digest.js';
import type { Clock, TimerHandle } from '../../../../../daemon/sip/clock.js';
import { SystemClock } from '../../../../../daemon/sip/clock.js';
import { UserAgentCore, type UserAgentCoreOptions } from '../../../../../daemon/sip/user-agents/core.js';
import { nextHop as uaNextHop } from '../../../../../daemon/sip/user-agents/next-hop.js';
import { SipEndpoint } from '../../../../../daemon/sip/endpoint.js';
import { Headers } from '../../../../../daemon/sip/headers.js';
import { Dialog, type InDialogRequestOptions } from '../../../../../daemon/sip/dialogs/dialog.js';
import { parseNameAddr, type NameAddr } from '../../../../../daemon/sip/header-values.js';
import { SipRequest, type SipResponse } from '../../../../../daemon/sip/message.js';
import { formatUri, isSipUri, parseUri } from '../../../../../daemon/sip/uri.js';
import type { Destination, IncomingRequest, ServerTransaction } from '../../../../../daemon/sip/transactions/index.js';
import { SipTransport } from '../../../../../daemon/transport/sip-transport.js';
import { hostOf } from '../../../../helpers/peers/ports.js';

export interface Credentials {
  username: string;
  password: string;
}

/** The final response was not 2xx (e.g. 403 after our credentials): the request failed. */
export class RequestFailed extends Error {
  constructor(
    readonly method: string,
    readonly response: SipResponse,
    readonly statuses: number[],
  ) {
    super(`${method} failed: ${response.status} ${response.reason} (responses: ${statuses.join(', ')})`);
    this.name = 'RequestFailed';
  }
}

export interface Outcome {
  final: SipResponse;
  /** every status received, in order, over all attempts (e.g. [401, 200]) */
  statuses: number[];
  /** the request that got the final response (with its Authorization, if any) */
  request: SipRequest;
}

export class OurUa {
  readonly incoming: ServerTransaction[] = [];
  readonly strayAcks: IncomingRequest[] = [];
  readonly discarded: string[] = [];
  private listeners: Array<() => void> = [];
  private cseq = 0;
  /** ACKs we sent for 2xx responses, by Call-ID: re-sent for a retransmitted 2xx (RFC 3261 13.2.2.4) */
  private readonly acks = new Map<string, { ack: SipRequest; dest: Destination }>();

  /** the user agent core (daemon/sip/user-agents) when the UA was opened with one as its TU */
  core: UserAgentCore | undefined;

  private constructor(
    readonly transport: SipTransport,
    readonly endpoint: SipEndpoint,
    readonly address: string,
    readonly protocol: 'udp' | 'tcp',
    readonly clock: TrackedClock,
  ) {}

  /**
   * Open a transport on address (ephemeral port) with the transaction layer on it. Without
   * `core`, incoming requests are collected for the test (nextRequest); with it, a
   * UserAgentCore for that user is the layer's TU, sending out-of-dialog requests to `proxy`.
   */
  static async open(address: string, protocol: 'udp' | 'tcp', opts: { clock?: Clock; core?: { user: string; proxy: Destination; options?: Partial<UserAgentCoreOptions> } } = {}): Promise<OurUa> {
    const clock = new TrackedClock(opts.clock ?? new SystemClock());
    const transport = await SipTransport.open({ localAddress: address, portS: 0 });
    // the TU needs the UA, the UA needs the endpoint: the TU reaches the UA through this holder
    const self: { ua?: OurUa } = {};
    let core: UserAgentCore | undefined;
    if (opts.core) {
      const proxy = opts.core.proxy;
      core = new UserAgentCore({
        clock,
        contact: parseNameAddr(`<sip:${opts.core.user}@${hostOf(address)}:${transport.portS};transport=${protocol}>`),
        // our AORs' domain needs DNS: requests without a route go to the proxy (the outbound proxy)
        route: (req) => (req.routes.length > 0 ? uaNextHop(req, protocol) : proxy),
        ...opts.core.options,
      });
    }
    const endpoint = new SipEndpoint({
      transport,
      clock,
      sentBy: { host: address, port: transport.portS },
      tu: core ?? {
        onRequest: (tx) => self.ua?.push(() => self.ua?.incoming.push(tx)),
        onStrayAck: (ack) => self.ua?.push(() => self.ua?.strayAcks.push(ack)),
        onDiscarded: (d) => self.ua?.discarded.push(`${d.reason}: ${d.error?.message ?? ''}`),
      },
    });
    core?.attach(endpoint.layer);
    self.ua = new OurUa(transport, endpoint, address, protocol, clock);
    self.ua.core = core;
    return self.ua;
  }

  get port(): number {
    return this.transport.portS;
  }

  /** Our Contact for a user: sip:user@addr:port;transport=… */
  contact(user: string): string {
    return `sip:${user}@${hostOf(this.address)}:${this.port};transport=${this.protocol}`;
  }

  private push(f: () => void): void {
    f();
    for (const l of this.listeners.splice(0)) l();
  }

  /** The next incoming request with this method (already received or future). */
  async nextRequest(method: string, timeoutMs = 5000): Promise<ServerTransaction> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.incoming.findIndex((t) => t.request.method === method);
      if (i >= 0) return this.incoming.splice(i, 1)[0];
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no ${method} reached our stack within ${timeoutMs} ms (discarded: ${this.discarded.join('; ') || 'none'})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.listeners.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** A new out-of-dialog request (RFC 3261 8.1.1) from user@domain; the layer adds the Via. */
  newRequest(method: string, target: string, from: { user: string; domain: string }, extra: Array<[string, string]> = [], body?: string): SipRequest {
    const h = new Headers();
    h.append('Max-Forwards', 70);
    h.append('From', `<sip:${from.user}@${from.domain}>;tag=${randomBytes(6).toString('hex')}`);
    h.append('To', `<${method === 'REGISTER' ? `sip:${from.user}@${from.domain}` : target}>`);
    h.append('Call-ID', `${randomBytes(8).toString('hex')}@${hostOf(this.address)}`);
    h.append('CSeq', `${++this.cseq} ${method}`);
    h.append('Contact', `<${this.contact(from.user)}>`);
    for (const [n, v] of extra) h.append(n, v);
    if (body !== undefined) h.append('Content-Type', 'application/sdp');
    h.append('Content-Length', Buffer.byteLength(body ?? ''));
    return new SipRequest(method, parseUri(method === 'REGISTER' ? `sip:${from.domain}` : target), h, body);
  }

  /**
   * Send a request in a client transaction and, on 401/407, once more with credentials
   * (RFC 3261 22.2 / 22.3, RFC 2617 3.2.2); resolves with the final response of the last try.
   * Provisional responses go to onProvisional with the request they answer.
   */
  async send(req: SipRequest, dest: Destination, creds?: Credentials, onProvisional?: (r: SipResponse, request: SipRequest) => void): Promise<Outcome> {
    const statuses: number[] = [];
    let current = req;
    for (let attempt = 0; ; attempt++) {
      const final = await this.transaction(current, dest, statuses, onProvisional);
      if ((final.status !== 401 && final.status !== 407) || !creds || attempt > 0) return { final, statuses, request: current };
      current = this.withCredentials(current, final, creds);
    }
  }

  /** Like send(), but a non-2xx final response throws RequestFailed. */
  async sendOk(req: SipRequest, dest: Destination, creds?: Credentials, onProvisional?: (r: SipResponse, request: SipRequest) => void): Promise<Outcome> {
    const o = await this.send(req, dest, creds, onProvisional);
    if (o.final.status >= 300) throw new RequestFailed(req.method, o.final, o.statuses);
    return o;
  }

  private transaction(req: SipRequest, dest: Destination, statuses: number[], onProvisional?: (r: SipResponse, request: SipRequest) => void): Promise<SipResponse> {
    let done = false;
    return new Promise((resolve, reject) => {
      this.endpoint.layer.sendRequest(req, dest, {
        onResponse: (res) => {
          if (done) {
            // RFC 3261 13.2.2.4: a retransmitted 2xx to our INVITE gets the same ACK again
            const sent = res.status >= 200 && res.status < 300 ? this.acks.get(res.callId) : undefined;
            if (sent) void this.endpoint.layer.sendStateless(sent.ack, sent.dest, { addVia: false });
            return;
          }
          statuses.push(res.status);
          if (res.status < 200) onProvisional?.(res, req);
          else {
            done = true;
            resolve(res);
          }
        },
        onTimeout: (e) => reject(e),
        onTransportError: (e) => reject(e),
      });
    });
  }

  /** The same request with a new CSeq, no Via (the layer adds a fresh one) and our digest. */
  private withCredentials(prev: SipRequest, challenge: SipResponse, creds: Credentials): SipRequest {
    const h = prev.headers.clone();
    h.remove('Via');
    h.set('CSeq', `${++this.cseq} ${prev.method}`);
    const [name, value] = answerChallenge(challenge, prev.method, formatUri(prev.uri), creds);
    h.set(name, value);
    return new SipRequest(prev.method, prev.uri, h, prev.body);
  }

  /** Send a request built by a dialog (RFC 3261 12.2.1.1) to its next hop, in a client transaction. */
  async inDialog(dialog: Dialog, method: string, options: InDialogRequestOptions = {}, creds?: Credentials): Promise<Outcome> {
    const req = dialog.createRequest(method, options);
    req.headers.set('Content-Length', Buffer.byteLength(options.body ?? ''));
    const o = await this.send(req, nextHop(req, this.protocol), creds);
    dialog.receiveResponse(method, o.final);
    return o;
  }

  /** The ACK for a 2xx to our INVITE (RFC 3261 13.2.2.4): in the dialog, outside any transaction. */
  async ack(dialog: Dialog, inviteCseq: number): Promise<SipRequest> {
    const ack = dialog.createRequest('ACK', { cseq: inviteCseq });
    ack.headers.set('Content-Length', 0);
    const dest = nextHop(ack, this.protocol);
    await this.endpoint.layer.sendStateless(ack, dest);
    this.acks.set(ack.callId, { ack, dest });
    return ack;
  }

  /** Our Contact as a name-addr, for dialogs. */
  contactNameAddr(user: string): NameAddr {
    return parseNameAddr(`<${this.contact(user)}>`);
  }

  /** End every transaction and every timer of the stack (transactions, calls, sessions), close the sockets. */
  async close(): Promise<void> {
    this.endpoint.close();
    this.clock.clearAll();
    await this.transport.close();
  }
}

/**
 * Where a request goes (RFC 3261 8.1.2 with RFC 3263 4 minus DNS, all addresses being IP
 * literals here): the first Route's URI, else the Request-URI; its transport parameter, else
 * the given default; port 5060 when absent.
 */
export function nextHop(req: SipRequest, defaultProtocol: 'udp' | 'tcp'): Destination {
  const uri = req.routes[0]?.uri ?? req.uri;
  if (!isSipUri(uri)) throw new Error(`no next hop for ${formatUri(uri)}`);
  const t = uri.params.get('transport');
  const protocol = typeof t === 'string' ? (t.toLowerCase() as 'udp' | 'tcp') : defaultProtocol;
  const address = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  return { address, port: uri.port ?? 5060, protocol };
}

/** A minimal SDP offer or answer for one PCMU audio stream (RFC 4566, RFC 3264). */
export function sdp(address: string, port: number, version: number, direction = 'sendrecv'): string {
  const ip = address.includes(':') ? 'IP6' : 'IP4';
  return ['v=0', `o=imsd 4242 ${version} IN ${ip} ${address}`, 's=-', `c=IN ${ip} ${address}`, 't=0 0',
    `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', `a=${direction}`, ''].join('\r\n');
}

/**
 * The Authorization (401) or Proxy-Authorization (407) header answering a challenge with MD5
 * digest (RFC 3261 22.2 / 22.3, RFC 2617 3.2.2) for a request with this method and Request-URI.
 */
export function answerChallenge(challenge: SipResponse, method: string, requestUri: string, creds: Credentials): [string, string] {
  const proxy = challenge.status === 407;
  const header = challenge.headers.get(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
  if (header === undefined) throw new Error(`${challenge.status} without a challenge`);
  const c = parseChallenge(header);
  const qop = chooseQop(c.qop);
  const cnonce = randomBytes(8).toString('hex');
  // RFC 3261 22.4 item 2: the digest-uri is the Request-URI as sent
  const response = computeResponse({
    username: creds.username, realm: c.realm, password: Buffer.from(creds.password), method, uri: requestUri, nonce: c.nonce,
    ...(qop ? { qop, nc: 1, cnonce } : {}),
  });
  return [proxy ? 'Proxy-Authorization' : 'Authorization', formatAuthorization({
    username: creds.username, realm: c.realm, nonce: c.nonce, uri: requestUri, response, algorithm: c.algorithm,
    ...(qop ? { qop, nc: 1, cnonce } : {}), ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
  })];
}

/**
 * A clock that remembers its pending timers so that closing the UA clears them all: the user
 * agents keep timers beyond their transactions (RFC 6026 64*T1 lingering, session timers).
 */
export class TrackedClock implements Clock {
  readonly #pending = new Set<TimerHandle>();

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const h = this.inner.setTimer(ms, () => {
      this.#pending.delete(h);
      fn();
    });
    this.#pending.add(h);
    return h;
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle) this.#pending.delete(handle);
    this.inner.clearTimer(handle);
  }

  clearAll(): void {
    for (const h of this.#pending) this.inner.clearTimer(h);
    this.#pending.clear();
  }
}
