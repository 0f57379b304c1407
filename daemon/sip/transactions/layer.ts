// The transaction layer (RFC 3261 17): creates client transactions for the TU's requests,
// matches received messages to transactions, creates server transactions for new requests,
// handles CANCEL (9.2) and passes what matches nothing to the TU. Sans-I/O: time comes from
// the injected Clock, messages leave through the injected Sender.
import type { Clock } from '../clock.js';
import { SipParseError } from '../errors.js';
import { SipRequest, type SipMessage, type SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { defaultRandomToken, newBranch, type RandomToken } from './branch.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { clientKey, requestKey, responseKey } from './matching.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { ackMatchKey, Retransmit2xx, type Retransmit2xxHandlers } from './retransmit-2xx.js';
import type { Transaction, TransactionContext } from './transaction.js';
import {
  DEFAULT_TIMER_VALUES,
  type ClientTransactionHandlers,
  type Destination,
  type IncomingMessage,
  type IncomingRequest,
  type IncomingResponse,
  type SendOptions,
  type Sender,
  type SentBy,
  type TimerValues,
  type TransactionUser,
} from './types.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

export interface TransactionLayerOptions {
  clock: Clock;
  /** where every outgoing message goes (the endpoint glue adapts a Transport) */
  sender: Sender;
  /** the transaction user: new requests, stray ACKs and responses */
  tu: TransactionUser<ServerTransaction>;
  /** the sent-by written into the Via of our requests (may depend on the destination) */
  sentBy: SentBy | ((dest: Destination) => SentBy);
  /** T1/T2/T4 in ms (defaults 500/4000/5000) */
  timers?: Partial<TimerValues>;
  /** Timer D on unreliable transports in ms (default 32000, RFC 3261 17.1.1.2) */
  timerD?: number;
  /** randomness for branches and tags (inject for deterministic tests) */
  random?: RandomToken;
  /**
   * RFC 3261 17.2.1: an INVITE server transaction sends 100 Trying itself when the TU has not
   * answered within this many ms (default 200; null: never).
   */
  autoTryingMs?: number | null;
}

export interface RequestOptions extends SendOptions {
  /**
   * Add a top Via with a fresh z9hG4bK branch and rport (default true). With false the request
   * must already carry a top Via whose branch is unique.
   */
  addVia?: boolean;
}

export class TransactionLayer {
  readonly timers: Readonly<TimerValues>;
  readonly #ctx: TransactionContext;
  readonly #random: RandomToken;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #keys = new Map<Transaction, string>();
  readonly #retransmitters = new Map<string, Retransmit2xx>();
  readonly #autoTryingMs: number | undefined;

  constructor(private readonly options: TransactionLayerOptions) {
    this.timers = Object.freeze({ ...DEFAULT_TIMER_VALUES, ...options.timers });
    this.#random = options.random ?? defaultRandomToken;
    this.#autoTryingMs = options.autoTryingMs === null ? undefined : (options.autoTryingMs ?? 200);
    this.#ctx = {
      clock: options.clock,
      timers: this.timers,
      timerD: options.timerD ?? 32000,
      sender: options.sender,
      forget: (tx) => this.forget(tx),
    };
  }

  /** A fresh RFC 3261 branch ("z9hG4bK" + random). */
  newBranch(): string {
    return newBranch(this.#random);
  }

  /** A fresh tag (From/To) from the same randomness. */
  newTag(): string {
    return this.#random();
  }

  /** Number of live client and server transactions. */
  get size(): { clients: number; servers: number } {
    return { clients: this.#clients.size, servers: this.#servers.size };
  }

  private sentBy(dest: Destination): SentBy {
    const s = this.options.sentBy;
    return typeof s === 'function' ? s(dest) : s;
  }

  /** Add our top Via (RFC 3261 8.1.1.7 branch, RFC 3581 rport); returns the branch. */
  private addVia(req: SipRequest, dest: Destination): string {
    const branch = this.newBranch();
    const { host, port } = this.sentBy(dest);
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    req.headers.prepend('Via', `SIP/2.0/${dest.protocol.toUpperCase()} ${h}${port !== undefined ? `:${port}` : ''};branch=${branch};rport`);
    return branch;
  }

  private branchOf(req: SipRequest): string {
    const b = req.topVia.params.get('branch');
    if (typeof b !== 'string' || b === '') throw new SipParseError('top Via has no branch', 'Via');
    return b;
  }

  /**
   * Start a client transaction for a request (not ACK: use sendStateless). An INVITE gets an
   * INVITE client transaction (RFC 3261 17.1.1), anything else a non-INVITE one (17.1.2).
   */
  sendRequest(req: SipRequest, dest: Destination, handlers: ClientTransactionHandlers = {}, options: RequestOptions = {}): ClientTransaction {
    if (req.method === 'ACK') throw new TypeError('ACK has no client transaction: use sendStateless (RFC 3261 17.1.1.3, 13.2.2.4)');
    const branch = options.addVia === false ? this.branchOf(req) : this.addVia(req, dest);
    const sendOptions: SendOptions = options.connectionId !== undefined ? { connectionId: options.connectionId } : {};
    const tx: ClientTransaction =
      req.method === 'INVITE'
        ? new InviteClientTransaction(this.#ctx, branch, req, dest, handlers, sendOptions, (cancel, d, h, o) => this.startClient(new NonInviteClientTransaction(this.#ctx, branch, cancel, d, h, o)))
        : new NonInviteClientTransaction(this.#ctx, branch, req, dest, handlers, sendOptions);
    return this.startClient(tx);
  }

  /** sendRequest for an INVITE, typed as the INVITE client transaction (it has cancel()). */
  sendInvite(req: SipRequest, dest: Destination, handlers: ClientTransactionHandlers = {}, options: RequestOptions = {}): InviteClientTransaction {
    if (req.method !== 'INVITE') throw new TypeError(`sendInvite needs an INVITE, not ${req.method}`);
    return this.sendRequest(req, dest, handlers, options) as InviteClientTransaction;
  }

  private startClient<T extends ClientTransaction>(tx: T): T {
    const key = clientKey(tx.branch, tx.method);
    if (this.#clients.has(key)) throw new Error(`a client transaction with branch ${tx.branch} and method ${tx.method} exists`);
    this.#clients.set(key, tx);
    this.#keys.set(tx, key);
    tx.start();
    return tx;
  }

  /**
   * Send a message outside any transaction: the ACK for a 2xx (RFC 3261 13.2.2.4: a new
   * branch each time it is built), or stateless responses. A request gets our Via with a fresh
   * branch unless addVia is false. The promise rejects on a transport error.
   */
  async sendStateless(msg: SipMessage, dest: Destination, options: RequestOptions = {}): Promise<void> {
    if (msg instanceof SipRequest && options.addVia !== false) this.addVia(msg, dest);
    const sendOptions: SendOptions = options.connectionId !== undefined ? { connectionId: options.connectionId } : {};
    await this.options.sender(msg, dest, sendOptions);
  }

  /**
   * RFC 3261 13.3.1.4 + RFC 6026: send a 2xx on an INVITE server transaction and keep
   * re-sending it (T1 doubling to T2) until its ACK arrives or 64*T1 passes. The UAS (TU)
   * owns 2xx retransmission; this helper does it for the TU. The ACK still reaches onStrayAck.
   */
  respond2xx(tx: InviteServerTransaction, response: SipResponse, handlers: Retransmit2xxHandlers = {}): Retransmit2xx {
    if (response.status < 200 || response.status >= 300) throw new RangeError(`respond2xx needs a 2xx, not ${response.status}`);
    tx.respond(response);
    const r = new Retransmit2xx(this.#ctx, response, tx.route, handlers, (done) => {
      if (this.#retransmitters.get(done.key) === done) this.#retransmitters.delete(done.key);
    });
    this.#retransmitters.get(r.key)?.stop();
    this.#retransmitters.set(r.key, r);
    return r;
  }

  /** Feed a received message (from the transport) into the layer. */
  receive(incoming: IncomingMessage): void {
    try {
      if (incoming.message.isResponse()) this.receiveResponse(incoming as IncomingResponse);
      else this.receiveRequest(incoming as IncomingRequest);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      this.discard(incoming, `unusable ${e.where}`, e);
    }
  }

  private discard(incoming: IncomingMessage, reason: string, error?: Error): void {
    const d = error ? { incoming, reason, error } : { incoming, reason };
    if (this.options.tu.onDiscarded) this.options.tu.onDiscarded(d);
    else console.warn(`sip transactions: discarded ${incoming.message.isRequest() ? incoming.message.method : incoming.message.status} from ${incoming.remote.address}:${incoming.remote.port}: ${reason}`);
  }

  private receiveResponse(incoming: IncomingResponse): void {
    const key = responseKey(incoming.message);
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx) {
      // 18.1.2: a response whose top Via sent-by is not the one we sent is discarded
      const via = incoming.message.topVia;
      const ours = tx.request.topVia;
      if (via.host.toLowerCase() !== ours.host.toLowerCase() || via.port !== ours.port) {
        this.discard(incoming, `top Via sent-by ${via.host}:${via.port ?? ''} is not ours (RFC 3261 18.1.2)`);
        return;
      }
      tx.receiveResponse(incoming.message, incoming);
      return;
    }
    // 17.1.3 / 13.2.2.4: e.g. 2xx retransmissions after Timer M; the TU re-sends its ACK
    if (this.options.tu.onStrayResponse) this.options.tu.onStrayResponse(incoming);
    else this.discard(incoming, 'response matches no client transaction');
  }

  private receiveRequest(incoming: IncomingRequest): void {
    const req = incoming.message;
    const key = requestKey(req);
    const existing = this.#servers.get(key);
    if (req.method === 'ACK') {
      if (existing && existing.kind === 'invite' && existing.state !== 'Accepted') existing.receiveRequest(incoming);
      else this.strayAck(incoming);
      return;
    }
    if (existing) {
      existing.receiveRequest(incoming); // a retransmission (17.2.3): absorbed by its transaction
      return;
    }
    if (req.method === 'CANCEL') {
      this.receiveCancel(incoming, key);
      return;
    }
    const branch = String(req.topVia.params.get('branch') ?? '');
    const tx: ServerTransaction =
      req.method === 'INVITE'
        ? new InviteServerTransaction(this.#ctx, branch, incoming, {
            ...(this.#autoTryingMs !== undefined ? { autoTryingMs: this.#autoTryingMs } : {}),
            passAck: (ack) => this.strayAck(ack),
            newTag: () => this.newTag(),
          })
        : new NonInviteServerTransaction(this.#ctx, branch, incoming);
    this.#servers.set(key, tx);
    this.#keys.set(tx, key);
    this.options.tu.onRequest(tx);
  }

  /** RFC 3261 9.2: 200 to a CANCEL matching an INVITE server transaction, 481 otherwise. */
  private receiveCancel(incoming: IncomingRequest, key: string): void {
    const cancel = incoming.message;
    const tx = new NonInviteServerTransaction(this.#ctx, String(cancel.topVia.params.get('branch') ?? ''), incoming);
    this.#servers.set(key, tx);
    this.#keys.set(tx, key);
    const invite = this.#servers.get(requestKey(cancel, 'INVITE'));
    if (!invite || invite.kind !== 'invite') {
      tx.respond(createResponse(cancel, 481, { toTag: this.newTag() }));
      return;
    }
    // 9.2: the To tag of the 200 to the CANCEL should equal that of the INVITE's responses
    tx.respond(createResponse(cancel, 200, { toTag: invite.toTag ?? this.newTag() }));
    invite.cancelReceived(cancel);
  }

  private strayAck(incoming: IncomingRequest): void {
    const ack = incoming.message;
    const r = this.#retransmitters.get(ackMatchKey(ack.callId, ack.cseq.seq, ack.fromTag, ack.toTag));
    if (r) r.acked(ack);
    if (this.options.tu.onStrayAck) this.options.tu.onStrayAck(incoming);
    else if (!r) this.discard(incoming, 'ACK matches no transaction');
  }

  private forget(tx: Transaction): void {
    const key = this.#keys.get(tx);
    if (key === undefined) return;
    this.#keys.delete(tx);
    if (this.#clients.get(key) === tx) this.#clients.delete(key);
    if (this.#servers.get(key) === tx) this.#servers.delete(key);
  }

  /** Terminate every transaction and 2xx retransmission; nothing stays on the clock. */
  close(): void {
    for (const r of [...this.#retransmitters.values()]) r.stop();
    for (const tx of [...this.#keys.keys()]) tx.destroy();
  }
}
