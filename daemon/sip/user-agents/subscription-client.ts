// The SUBSCRIBE/NOTIFY user agent of the subscriber side (RFC 6665 4.1): runs a Subscriber's
// SUBSCRIBEs in client transactions, answers its NOTIFYs (also one that arrives before the
// dialog exists, 4.1.2.4) and keeps the dialog registered with the core while it lives.
import type { SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import type { ServerTransaction } from '../transactions/index.js';
import { Subscriber, type SubscriberOptions } from '../subscriptions/subscriber.js';
import type { DialogUser, NotifyUser, UserAgentCore } from './core.js';
import type { Dialog } from '../dialogs/dialog.js';

export type SubscriptionClientOptions = Omit<SubscriberOptions, 'clock' | 'random' | 't1' | 'send' | 'contact'>;

export class SubscriptionClient implements NotifyUser {
  readonly subscriber: Subscriber;
  #registered: Dialog | undefined;
  #forgetCloser: (() => void) | undefined;

  constructor(
    readonly core: UserAgentCore,
    options: SubscriptionClientOptions,
  ) {
    const onTerminated = options.onTerminated;
    this.subscriber = new Subscriber({
      ...options,
      clock: core.clock,
      random: core.random,
      t1: core.t1,
      contact: core.contact,
      send: (req) => this.#send(req),
      onTerminated: (why) => {
        this.#cleanup();
        onTerminated?.(why);
      },
    });
  }

  subscribe(): SipRequest {
    this.core.registerNotifyUser(this);
    this.#forgetCloser = this.core.onClose(() => this.subscriber.close());
    return this.subscriber.subscribe();
  }

  unsubscribe(): SipRequest | undefined {
    return this.subscriber.unsubscribe();
  }

  #send(req: SipRequest): void {
    this.core.sendRequest(req, {
      onResponse: (res) => {
        this.subscriber.receiveResponse(req, res);
        this.#track();
      },
      onTimeout: () => this.subscriber.receiveResponse(req, this.#timeoutResponse(req)),
      // RFC 3261 8.1.3.1: a transport error counts as a 503
      onTransportError: () => this.subscriber.receiveResponse(req, createResponse(req, 503)),
    });
  }

  /** RFC 3261 8.1.3.1: a transaction timeout counts as a 408 */
  #timeoutResponse(req: SipRequest): SipResponse {
    return createResponse(req, 408);
  }

  matchesNotify(notify: SipRequest): boolean {
    return this.subscriber.matchesNotify(notify);
  }

  receiveNotifyTx(tx: ServerTransaction): void {
    const answer = this.subscriber.receiveNotify(tx.request);
    this.#track();
    if (answer.status >= 300) this.core.reject(tx, answer.status, answer.reason ?? 'NOTIFY refused');
    else this.core.respond(tx, answer.status);
  }

  /** register the dialog once it exists, so in-dialog NOTIFYs reach us by dialog ID */
  #track(): void {
    const d = this.subscriber.dialog;
    if (!d || d === this.#registered || d.state === 'terminated') return;
    this.#registered = d;
    const user: DialogUser = {
      dialog: d,
      close: () => this.subscriber.close(),
      receiveRequest: (tx) => {
        if (tx.request.method === 'NOTIFY') this.receiveNotifyTx(tx);
        else this.core.reject(tx, 405, `${tx.request.method} in a subscription dialog`, [['Allow', 'NOTIFY']]);
      },
    };
    this.core.registerDialog(user);
  }

  #cleanup(): void {
    this.#forgetCloser?.();
    this.core.unregisterNotifyUser(this);
    if (this.#registered) this.core.unregisterDialog(this.#registered);
  }
}
