// Offer/answer bookkeeping of one session (RFC 3264 via RFC 3261 13.2.1 and RFC 3262 5) and the
// RFC 3311 rules that hang on it: no new offer while one is pending in either direction, and the
// 491/500 answers to an UPDATE that carries an offer at the wrong moment.
import { cryptoRandom, type Random } from './random.js';

export type OfferAnswerState =
  /** no offer outstanding */
  | 'stable'
  /** we sent an offer (INVITE, UPDATE, PRACK or a reliable provisional/2xx) and await its answer */
  | 'local-offer'
  /** the peer sent an offer we have not answered yet */
  | 'remote-offer';

export type UpdateOfferCheck =
  | { accept: true }
  /** RFC 3311 5.2: we have an offer of our own outstanding: glare */
  | { accept: false; status: 491 }
  /** RFC 3311 5.2: we still owe an answer to an earlier offer: 500 with Retry-After 0..10 s */
  | { accept: false; status: 500; retryAfter: number };

export class OfferAnswerError extends Error {
  override readonly name = 'OfferAnswerError';
}

export class OfferAnswer {
  #state: OfferAnswerState = 'stable';
  /** completed exchanges; RFC 3311 5.1 lets a UAC send UPDATE with an offer in an early dialog only after the first */
  #completed = 0;

  get state(): OfferAnswerState {
    return this.#state;
  }

  get completedExchanges(): number {
    return this.#completed;
  }

  /** RFC 3311 5.1: an offer may go out only when no offer is pending in either direction. */
  mayOffer(): boolean {
    return this.#state === 'stable';
  }

  localOffer(): void {
    if (this.#state !== 'stable') throw new OfferAnswerError(`cannot send an offer in state ${this.#state}`);
    this.#state = 'local-offer';
  }

  remoteAnswer(): void {
    if (this.#state !== 'local-offer') throw new OfferAnswerError(`an answer arrived in state ${this.#state}`);
    this.#state = 'stable';
    this.#completed++;
  }

  /** our offer was refused (non-2xx to the UPDATE/re-INVITE that carried it): back to the old session */
  localOfferRejected(): void {
    if (this.#state === 'local-offer') this.#state = 'stable';
  }

  remoteOffer(): void {
    if (this.#state !== 'stable') throw new OfferAnswerError(`an offer arrived in state ${this.#state}`);
    this.#state = 'remote-offer';
  }

  localAnswer(): void {
    if (this.#state !== 'remote-offer') throw new OfferAnswerError(`no offer to answer in state ${this.#state}`);
    this.#state = 'stable';
    this.#completed++;
  }

  /** we refused the peer's offer (non-2xx to its UPDATE/re-INVITE) */
  remoteOfferRejected(): void {
    if (this.#state === 'remote-offer') this.#state = 'stable';
  }

  /**
   * RFC 3311 5.2, for an incoming UPDATE with an offer: 491 when our own offer is unanswered,
   * 500 with a random Retry-After of 0..10 s when we owe an answer. On accept the state moves
   * to remote-offer.
   */
  receiveUpdateOffer(random: Random = cryptoRandom): UpdateOfferCheck {
    if (this.#state === 'local-offer') return { accept: false, status: 491 };
    if (this.#state === 'remote-offer') return { accept: false, status: 500, retryAfter: random.int(0, 10) };
    this.#state = 'remote-offer';
    return { accept: true };
  }
}

/**
 * RFC 3261 14.1: after a 491, the owner of the Call-ID (the one who sent the INVITE that made the
 * dialog) waits 2.1..4 s, the other side 0..2 s, in units of 10 ms, before trying again.
 */
export function glareRetryDelayMs(ownsCallId: boolean, random: Random = cryptoRandom): number {
  return ownsCallId ? random.int(210, 400) * 10 : random.int(0, 200) * 10;
}
