// RFC 3262 4: the UAC side, one per early dialog. A provisional with Require: 100rel and RSeq is
// acknowledged with a PRACK whose RAck is "RSeq CSeq-number CSeq-method". After the first one,
// only RSeq = previous + 1 is taken; retransmissions and out-of-order ones are not PRACKed and
// not processed further.
import type { RAck } from '../header-values.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { Dialog } from '../dialogs/dialog.js';
import { hasOptionTag } from '../dialogs/option-tags.js';

export type ProvisionalVerdict =
  /** not sent reliably: process as an ordinary provisional */
  | { kind: 'unreliable' }
  /** new and in order: process it and send a PRACK with this RAck */
  | { kind: 'new'; rack: RAck }
  /** RSeq already seen: drop */
  | { kind: 'retransmission'; rseq: number }
  /** RSeq skips ahead: drop and wait for the missing one to be retransmitted */
  | { kind: 'out-of-order'; rseq: number; expected: number }
  /** Require: 100rel without a usable RSeq */
  | { kind: 'invalid'; reason: string };

export class ReliableProvisionalReceiver {
  #last: number | undefined;

  /** the highest RSeq accepted so far */
  get lastRseq(): number | undefined {
    return this.#last;
  }

  receive(res: SipResponse): ProvisionalVerdict {
    if (res.status <= 100 || res.status >= 200 || !hasOptionTag(res, 'Require', '100rel')) return { kind: 'unreliable' };
    let rseq: number | undefined;
    try {
      rseq = res.rseq;
    } catch (e) {
      return { kind: 'invalid', reason: (e as Error).message };
    }
    if (rseq === undefined || rseq === 0) return { kind: 'invalid', reason: 'Require: 100rel without RSeq' };
    if (this.#last !== undefined) {
      if (rseq <= this.#last) return { kind: 'retransmission', rseq };
      if (rseq !== this.#last + 1) return { kind: 'out-of-order', rseq, expected: this.#last + 1 };
    }
    this.#last = rseq;
    const cseq = res.cseq;
    return { kind: 'new', rack: { rseq, cseq: cseq.seq, method: cseq.method } };
  }
}

/** RFC 3262 7.1/7.2: the PRACK for a reliable provisional, within its early dialog. */
export function createPrack(dialog: Dialog, rack: RAck, options: { body?: Buffer | string; contentType?: string } = {}): SipRequest {
  const prack = dialog.createRequest('PRACK', options);
  prack.rack = rack;
  return prack;
}
