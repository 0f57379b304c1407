// Forking on the UAC side (RFC 3261 12.1.2, 13.2.2.4): one INVITE can create several early
// dialogs, one per To tag. The first 2xx confirms its dialog and ends the others; a 2xx from
// another fork later on creates a dialog that the UAC acknowledges and then ends with BYE.
import type { SipRequest, SipResponse } from '../message.js';
import { Dialog, type DialogOptions } from './dialog.js';
import { DialogStateError } from './errors.js';

export type InviteResponseOutcome =
  /** 100 or a 1xx without To tag: no dialog */
  | { kind: 'provisional'; dialog?: undefined }
  /** a 1xx with To tag: the early dialog of that fork (created: first response of the fork) */
  | { kind: 'early'; dialog: Dialog; created: boolean }
  /** the first 2xx: its dialog is confirmed, every other early dialog is ended */
  | { kind: 'confirmed'; dialog: Dialog; terminated: Dialog[] }
  /** the same 2xx again (retransmitted by the UAS core, 13.3.1.4): send the same ACK again */
  | { kind: '2xx-retransmission'; dialog: Dialog }
  /** a 2xx from another fork after one was accepted: ACK it, then BYE (13.2.2.4) */
  | { kind: 'extra-2xx'; dialog: Dialog }
  /** a final non-2xx: every early dialog ends (12.3) */
  | { kind: 'failed'; terminated: Dialog[] };

export class InviteClientDialogs {
  readonly #byTag = new Map<string, Dialog>();
  #accepted: Dialog | undefined;
  #failed = false;

  constructor(
    readonly invite: SipRequest,
    private readonly options: DialogOptions,
  ) {
    if (invite.method !== 'INVITE') throw new DialogStateError(`not an INVITE: ${invite.method}`);
  }

  /** the dialog confirmed by the first 2xx */
  get accepted(): Dialog | undefined {
    return this.#accepted;
  }

  /** every dialog this INVITE created, by remote (To) tag */
  get dialogs(): Dialog[] {
    return [...this.#byTag.values()];
  }

  dialog(toTag: string): Dialog | undefined {
    return this.#byTag.get(toTag);
  }

  receive(res: SipResponse): InviteResponseOutcome {
    const tag = res.toTag;
    if (res.status < 200) {
      if (res.status === 100 || tag === undefined) return { kind: 'provisional' };
      const known = this.#byTag.get(tag);
      if (known) return { kind: 'early', dialog: known, created: false };
      if (this.#accepted !== undefined || this.#failed) return { kind: 'provisional' };
      const d = Dialog.asUac(this.invite, res, this.options);
      this.#byTag.set(tag, d);
      return { kind: 'early', dialog: d, created: true };
    }
    if (res.status >= 300) {
      this.#failed = true;
      const terminated = this.dialogs.filter((d) => d.state === 'early');
      for (const d of terminated) d.terminate();
      return { kind: 'failed', terminated };
    }
    if (tag === undefined) throw new DialogStateError('2xx to INVITE without To tag');
    const known = this.#byTag.get(tag);
    if (this.#accepted !== undefined) {
      if (known === this.#accepted) return { kind: '2xx-retransmission', dialog: known };
      if (known !== undefined && known.state === 'confirmed') return { kind: '2xx-retransmission', dialog: known };
      // 13.2.2.4: a second fork answered; its dialog exists only to be acknowledged and ended
      const d = Dialog.asUac(this.invite, res, this.options);
      this.#byTag.set(tag, d);
      return { kind: 'extra-2xx', dialog: d };
    }
    let d = known;
    if (d === undefined) {
      d = Dialog.asUac(this.invite, res, this.options);
      this.#byTag.set(tag, d);
    } else d.confirmWith(res);
    this.#accepted = d;
    const terminated = this.dialogs.filter((x) => x !== d && x.state === 'early');
    for (const x of terminated) x.terminate();
    return { kind: 'confirmed', dialog: d, terminated };
  }
}
