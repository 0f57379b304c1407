// The user agent core (RFC 3261 8.2, 12.2.2): the transaction user of the TransactionLayer. It
// sends requests through the layer, routes incoming requests to the dialog they belong to or to
// a per-method handler, and answers what nobody handles: 420 for unknown Require options, 481
// for requests in unknown dialogs, 405 for methods we do not serve, 200 to OPTIONS and MESSAGE.
import type { Clock } from '../clock.js';
import type { NameAddr } from '../header-values.js';
import type { SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { SipParseError } from '../errors.js';
import { dialogKey, idOfIncomingRequest, idOfIncomingResponse, type DialogId } from '../dialogs/dialog-id.js';
import type { Dialog } from '../dialogs/dialog.js';
import { addOptionTags, unsupportedRequirements } from '../dialogs/option-tags.js';
import { cryptoRandom, type Random } from '../dialogs/random.js';
import type { Authorizer } from './authorizer.js';
import type { SessionTimerConfig } from '../session-timer/negotiation.js';
import { uasDecide } from '../session-timer/negotiation.js';
import type {
  ClientTransaction,
  ClientTransactionHandlers,
  Destination,
  IncomingRequest,
  IncomingResponse,
  ServerTransaction,
  TransactionLayer,
  TransactionUser,
} from '../transactions/index.js';
import { UserAgentError } from './errors.js';
import { IncomingCall, type IncomingCallHandlers } from './invite-server.js';
import { nextHop } from './next-hop.js';

/** Something that lives in a dialog and takes the requests sent in it. */
export interface DialogUser {
  readonly dialog: Dialog;
  receiveRequest(tx: ServerTransaction): void;
  /** the ACK for our 2xx (it has no server transaction) */
  receiveAck?(ack: SipRequest): void;
  /** stop every timer (the core is closing) */
  close?(): void;
}

/** Something waiting for responses that outlive their transaction (2xx retransmissions to INVITE). */
export interface StrayResponseUser {
  receiveStrayResponse(res: SipResponse): void;
}

/** Something that takes NOTIFYs that may arrive before its dialog exists (RFC 6665 4.1.2.4). */
export interface NotifyUser {
  matchesNotify(notify: SipRequest): boolean;
  receiveNotifyTx(tx: ServerTransaction): void;
}

export interface UserAgentCoreOptions {
  clock: Clock;
  random?: Random;
  /** our Contact */
  contact: NameAddr;
  /** next hop of a request (default: first Route, else Request-URI; IP addresses only) */
  route?: (req: SipRequest) => Destination;
  /** option tags we support (default 100rel, timer) */
  supported?: string[];
  /** body types we accept (default application/sdp, text/plain) */
  accept?: string[];
  userAgent?: string;
  /** answers 401/407 challenges to our INVITEs (see digestAuthorizer); without it they fail the call */
  authorizer?: Authorizer;
  /** session timer policy for calls (RFC 4028); false: do not use session timers */
  sessionTimer?: SessionTimerConfig | false;
  /** T1 in ms (default: the layer's) */
  t1?: number;
  /** an incoming call; without it INVITE gets 405 */
  onInvite?: (call: IncomingCall) => IncomingCallHandlers | void;
  /** an incoming MESSAGE (RFC 3428); return a status (default 200); without it MESSAGE gets 405 */
  onMessage?: (req: SipRequest) => number | void;
  /**
   * every request answered with an error by the core, and every request of ours that failed
   * without anyone waiting for it (status 408/503 then), with why (never a silent drop)
   */
  onRejected?: (req: SipRequest, status: number, why: string) => void;
}

export class UserAgentCore implements TransactionUser<ServerTransaction> {
  readonly clock: Clock;
  readonly random: Random;
  readonly supported: readonly string[];
  readonly accept: readonly string[];
  #layer: TransactionLayer | undefined;
  readonly #dialogs = new Map<string, DialogUser>();
  readonly #stray = new Map<string, StrayResponseUser>();
  readonly #notifyUsers = new Set<NotifyUser>();
  readonly #closers = new Set<() => void>();

  constructor(readonly options: UserAgentCoreOptions) {
    this.clock = options.clock;
    this.random = options.random ?? cryptoRandom;
    // RFC 4028 7.1: only claim "timer" when we run session timers
    this.supported = options.supported ?? (options.sessionTimer === false ? ['100rel'] : ['100rel', 'timer']);
    this.accept = options.accept ?? ['application/sdp', 'text/plain'];
  }

  /** Connect the layer whose TU this core is (the layer is built with `tu: core`). */
  attach(layer: TransactionLayer): void {
    this.#layer = layer;
  }

  get layer(): TransactionLayer {
    if (!this.#layer) throw new UserAgentError('UserAgentCore is not attached to a TransactionLayer');
    return this.#layer;
  }

  get contact(): NameAddr {
    return this.options.contact;
  }

  get t1(): number {
    return this.options.t1 ?? this.#layer?.timers.T1 ?? 500;
  }

  get sessionTimer(): SessionTimerConfig | undefined {
    return this.options.sessionTimer === false ? undefined : (this.options.sessionTimer ?? {});
  }

  /** RFC 3261 20.5: the methods we take, as sent in Allow. */
  get allow(): string[] {
    const m = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'PRACK', 'UPDATE', 'OPTIONS', 'NOTIFY', 'INFO'];
    if (this.options.onMessage) m.push('MESSAGE');
    return m;
  }

  newTag(): string {
    return this.random.token();
  }

  /** Add Allow, Supported and User-Agent to a request or response that needs them. */
  decorate(msg: SipRequest | SipResponse): void {
    if (!msg.headers.has('Allow')) msg.headers.append('Allow', this.allow.join(', '));
    addOptionTags(msg, 'Supported', this.supported);
    if (this.options.userAgent !== undefined && !msg.headers.has('User-Agent')) msg.headers.append('User-Agent', this.options.userAgent);
  }

  route(req: SipRequest): Destination {
    return this.options.route ? this.options.route(req) : nextHop(req);
  }

  /** Send a request in a new client transaction. */
  sendRequest(req: SipRequest, handlers: ClientTransactionHandlers): ClientTransaction {
    // a request nobody waits on (BYE of an ended session, ...) still reports its failure
    const h: ClientTransactionHandlers = {
      ...handlers,
      onTimeout: handlers.onTimeout ?? ((e) => this.options.onRejected?.(req, 408, e.message)),
      onTransportError: handlers.onTransportError ?? ((e) => this.options.onRejected?.(req, 503, e.message)),
    };
    return this.layer.sendRequest(req, this.route(req), h);
  }

  /** Send an ACK for a 2xx (no transaction, a fresh branch every time, RFC 3261 13.2.2.4). */
  sendAck(ack: SipRequest): void {
    this.layer.sendStateless(ack, this.route(ack)).catch((e: unknown) => {
      this.options.onRejected?.(ack, 0, `ACK could not be sent: ${(e as Error).message}`);
    });
  }

  registerDialog(user: DialogUser): void {
    this.#dialogs.set(user.dialog.key, user);
  }

  unregisterDialog(dialog: Dialog): void {
    if (this.#dialogs.get(dialog.key)?.dialog === dialog) this.#dialogs.delete(dialog.key);
  }

  dialogUser(id: DialogId): DialogUser | undefined {
    return this.#dialogs.get(dialogKey(id));
  }

  /** number of dialogs in use (for leak checks) */
  get dialogCount(): number {
    return this.#dialogs.size;
  }

  /** responses to our INVITE, keyed by Call-ID and From tag, that may arrive after its transaction */
  registerInvite(callId: string, fromTag: string, user: StrayResponseUser): void {
    this.#stray.set(`${callId}\u0000${fromTag}`, user);
  }

  unregisterInvite(callId: string, fromTag: string): void {
    this.#stray.delete(`${callId}\u0000${fromTag}`);
  }

  registerNotifyUser(u: NotifyUser): void {
    this.#notifyUsers.add(u);
  }

  unregisterNotifyUser(u: NotifyUser): void {
    this.#notifyUsers.delete(u);
  }

  /** Answer a request: a To tag is added when it has none (RFC 3261 8.2.6.2). */
  respond(tx: ServerTransaction, status: number, options: { reason?: string; headers?: Array<[string, string | number]>; body?: string } = {}): SipResponse {
    const res = createResponse(tx.request, status, {
      ...(tx.request.toTag === undefined && status !== 100 ? { toTag: this.newTag() } : {}),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    for (const [n, v] of options.headers ?? []) res.headers.append(n, v);
    tx.respond(res);
    return res;
  }

  /** Build (not send) a response to `tx`, with a To tag when the request has none. */
  respondLater(tx: ServerTransaction, status: number, toTag?: string): SipResponse {
    return createResponse(tx.request, status, tx.request.toTag === undefined && status !== 100 ? { toTag: toTag ?? this.newTag() } : {});
  }

  reject(tx: ServerTransaction, status: number, why: string, headers: Array<[string, string | number]> = []): void {
    this.options.onRejected?.(tx.request, status, why);
    this.respond(tx, status, { headers });
  }

  /** run `fn` when the core closes (timers of user agents); returns a function that forgets it */
  onClose(fn: () => void): () => void {
    this.#closers.add(fn);
    return () => this.#closers.delete(fn);
  }

  /** Stop every timer of every dialog and user agent; sends nothing. The layer is closed by its owner. */
  close(): void {
    for (const u of [...this.#dialogs.values()]) u.close?.();
    for (const fn of [...this.#closers]) fn();
    this.#closers.clear();
    this.#dialogs.clear();
    this.#stray.clear();
    this.#notifyUsers.clear();
  }

  // ---- TransactionUser ----

  onRequest(tx: ServerTransaction): void {
    try {
      this.#route(tx);
    } catch (e) {
      // a header the message layer parses only on use (Session-Expires, Subscription-State, RAck
      // built by hand, ...) turned out malformed: 400 naming it (RFC 3261 21.4.1)
      if (!(e instanceof SipParseError)) throw e;
      if (tx.lastResponse === undefined || tx.lastResponse.status < 200) this.reject(tx, 400, e.message);
    }
  }

  #route(tx: ServerTransaction): void {
    const req = tx.request;
    // RFC 3261 8.2.2.3: every Require option must be one we support, else 420 with Unsupported
    const unknown = unsupportedRequirements(req, this.supported);
    if (unknown.length > 0) {
      this.reject(tx, 420, `unsupported Require: ${unknown.join(', ')}`, [['Unsupported', unknown.join(', ')]]);
      return;
    }
    const id = idOfIncomingRequest(req);
    if (id !== undefined) {
      const user = this.#dialogs.get(dialogKey(id));
      if (user) {
        user.receiveRequest(tx);
        return;
      }
      if (req.method === 'NOTIFY') {
        for (const u of this.#notifyUsers)
          if (u.matchesNotify(req)) {
            u.receiveNotifyTx(tx);
            return;
          }
      }
      // 12.2.2: a request with a To tag that matches no dialog
      this.reject(tx, 481, 'no such dialog');
      return;
    }
    switch (req.method) {
      case 'INVITE':
        this.#incomingInvite(tx);
        return;
      case 'OPTIONS':
        // 11.2: Allow, Accept, Supported (and Accept-Encoding/Language, optional)
        this.respond(tx, 200, {
          headers: [
            ['Allow', this.allow.join(', ')],
            ['Accept', this.accept.join(', ')],
            ['Supported', this.supported.join(', ')],
          ],
        });
        return;
      case 'MESSAGE':
        if (this.options.onMessage) {
          const status = this.options.onMessage(req) ?? 200;
          this.respond(tx, status);
          return;
        }
        break;
      case 'BYE':
      case 'PRACK':
      case 'UPDATE':
      case 'NOTIFY':
      case 'INFO':
        // methods that only make sense in a dialog (RFC 3261 15.1.2, RFC 3262 3, RFC 3311 5.2, RFC 6665 4.1.3)
        this.reject(tx, 481, `${req.method} outside a dialog`);
        return;
      default:
        break;
    }
    this.reject(tx, 405, `${req.method} not served`, [['Allow', this.allow.join(', ')]]);
  }

  #incomingInvite(tx: ServerTransaction): void {
    if (tx.kind !== 'invite' || !this.options.onInvite) {
      this.reject(tx, 405, 'no INVITE handler', [['Allow', this.allow.join(', ')]]);
      return;
    }
    const cfg = this.sessionTimer;
    if (cfg) {
      const d = uasDecide(tx.request, cfg);
      if (d.kind === 'reject') {
        // RFC 4028 9: too small an interval
        this.reject(tx, 422, 'Session-Expires below our Min-SE', [['Min-SE', d.minSE]]);
        return;
      }
    }
    if (tx.request.contacts.every((c) => c === '*')) {
      this.reject(tx, 400, 'INVITE without Contact');
      return;
    }
    const call = new IncomingCall(this, tx);
    const handlers = this.options.onInvite(call);
    if (handlers) call.handlers = handlers;
  }

  onStrayAck(incoming: IncomingRequest): void {
    const ack = incoming.message;
    const id = idOfIncomingRequest(ack);
    const user = id && this.#dialogs.get(dialogKey(id));
    if (user && user.receiveAck) user.receiveAck(ack);
    // an ACK for nothing we know is dropped by RFC 3261 17.2.3; tell the owner anyway
    else this.options.onRejected?.(ack, 0, 'ACK matches no dialog');
  }

  onStrayResponse(incoming: IncomingResponse): void {
    const res = incoming.message;
    const id = idOfIncomingResponse(res);
    const user = id ? this.#stray.get(`${id.callId}\u0000${id.localTag}`) : undefined;
    if (user) user.receiveStrayResponse(res);
  }
}
