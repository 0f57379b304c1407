// Calls in modem-ims mode, where MediaTek's own IMS stack places them (COMMANDS.md "modem-ims mode"):
// ATD/ATA/+CHLD/ATH out, +EAIC (incoming call waiting for approval) and +ECPI (progress) in. The
// state of each call follows MediaTek's CALL_INFO_MSG_TYPE_* meanings; every change is handed to
// `onChange` as a copy.
import type { Logger } from '../../daemon/log/logger.js';
import { AtParseError } from '../at/responses.js';
import { describeFinal } from '../at/result-codes.js';
import type { AtChannel } from '../at/types.js';
import { ModemDriverError } from '../driver.js';
import { MediatekParseError } from './fields.js';
import { ECPI, parseEaic, parseEcpi } from './ims-lines.js';

export type ModemCallState =
  /** +EAIC: the modem waits for AT+EAIC approval */
  | 'approval'
  /** +ECPI 0: ringing */
  | 'incoming'
  /** ATD sent, call id assigned (+ECPI 130) */
  | 'dialing'
  /** +ECPI 2: the far end rings */
  | 'alerting'
  /** +ECPI 6 / 132 */
  | 'active'
  /** +ECPI 131 */
  | 'held'
  /** +ECPI 133 (or the modem went away) */
  | 'released';

export interface ModemCall {
  id: number;
  direction: 'outgoing' | 'incoming';
  number: string;
  state: ModemCallState;
  /** 0 CS, 20 VoLTE, 21 ViLTE, 22 VoLTE conference (+ECPI/+EAIC <call_mode>) */
  callMode?: number;
  /** the far end put the call on hold (+ECPI 135/136) */
  remoteHeld: boolean;
  /** the network plays the ringback/announcements in-band (+ECPI <is_ibt>) */
  inbandTones: boolean;
  /** 24.008 10.5.4.11 cause from +ECPI 133 */
  cause?: number;
  /** +EAIC <seq_no>, needed to approve or reject */
  seqNo?: number;
}

/** a dialled number: digits, '+', '*', '#' (nothing that could end the AT command line) */
const DIALLABLE = /^\+?[0-9*#]{1,40}$/;

interface PendingDial {
  number: string;
  resolve: (c: ModemCall) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ModemImsCalls {
  readonly #calls = new Map<number, ModemCall>();
  readonly #channel: () => AtChannel;
  readonly #onChange: (c: ModemCall) => void;
  readonly #log: Logger;
  readonly #dialTimeoutMs: number;
  #pendingDial: PendingDial | undefined;

  constructor(channel: () => AtChannel, onChange: (c: ModemCall) => void, log: Logger, dialTimeoutMs = 10000) {
    this.#channel = channel;
    this.#onChange = onChange;
    this.#log = log;
    this.#dialTimeoutMs = dialTimeoutMs;
  }

  list(): ModemCall[] {
    return [...this.#calls.values()].map((c) => ({ ...c }));
  }

  /** Takes the URCs that belong to calls; returns false for any other line. */
  onUrc(line: string): boolean {
    try {
      if (/^\+ECPI:/i.test(line)) {
        this.#ecpi(line);
        return true;
      }
      if (/^\+EAIC:/i.test(line)) {
        this.#eaic(line);
        return true;
      }
    } catch (e) {
      if (!(e instanceof MediatekParseError || e instanceof AtParseError)) throw e;
      this.#log.warning('call URC not understood, ignored', { line, reason: e.message });
      return true;
    }
    if (line === 'RING' || /^\+CRING:/i.test(line) || line === 'NO CARRIER') {
      // 27.007 6.11 / V.250: the +ECPI lines carry the same facts with call ids
      this.#log.debug('call indication', { line });
      return true;
    }
    return false;
  }

  /** ATD<number>; resolves once the modem assigned the call id (+ECPI 130). */
  async dial(number: string): Promise<ModemCall> {
    if (!DIALLABLE.test(number)) throw new ModemDriverError('dial', `"${number}" is not a diallable number (digits, +, *, #)`);
    if (this.#pendingDial) throw new ModemDriverError('dial', 'another call is being dialled');
    const placed = new Promise<ModemCall>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingDial = undefined;
        reject(new ModemDriverError('dial', `no call id (+ECPI 130) within ${this.#dialTimeoutMs} ms`));
      }, this.#dialTimeoutMs);
      this.#pendingDial = { number, resolve, reject, timer };
    });
    placed.catch(() => undefined);
    let failure: Error | undefined;
    try {
      const r = await this.#channel().command(`ATD${number};`);
      if (r.final.kind !== 'ok') failure = new ModemDriverError('dial', `ATD refused: ${describeFinal(r.final)}`);
    } catch (e) {
      failure = new ModemDriverError('dial', (e as Error).message);
    }
    if (failure) {
      // set by the Promise executor above (TypeScript keeps the narrowing from the check before)
      const p = this.#pendingDial as PendingDial | undefined;
      if (p) {
        clearTimeout(p.timer);
        this.#pendingDial = undefined;
      }
      throw failure;
    }
    return placed;
  }

  /** AT+EAIC=0|1,<call_id>,<seq_no>: let an incoming call ring, or refuse it */
  async approve(callId: number, accept: boolean): Promise<void> {
    const c = this.#calls.get(callId);
    if (!c || c.state !== 'approval' || c.seqNo === undefined) throw new ModemDriverError('approve', `call ${callId} is not waiting for approval`);
    await this.#run('approve', `AT+EAIC=${accept ? 0 : 1},${callId},${c.seqNo}`);
    if (!accept) this.#release(c, undefined);
  }

  /** ATA */
  async answer(): Promise<void> {
    if (![...this.#calls.values()].some((c) => c.state === 'incoming')) throw new ModemDriverError('answer', 'no call is ringing');
    await this.#run('answer', 'ATA');
  }

  /** AT+CHLD=1<x> (27.007 7.13): release one call; the modem confirms with +ECPI 133 */
  async hangup(callId: number): Promise<void> {
    if (!this.#calls.has(callId)) throw new ModemDriverError('hangup', `no call ${callId}`);
    await this.#run('hangup', `AT+CHLD=1${callId}`);
  }

  /**
   * AT+CHLD=1 / AT+CHLD=2 (27.007 7.13): 1 releases the active calls and accepts the held or waiting
   * one, 2 holds the active calls and accepts the held or waiting one (also a swap); the modem
   * reports the new states with +ECPI 131/132/133.
   */
  async chld(n: 1 | 2): Promise<void> {
    if (this.#calls.size === 0) throw new ModemDriverError('chld', 'no call');
    await this.#run('chld', `AT+CHLD=${n}`);
  }

  /**
   * AT+VTS=<c> per digit (27.007 C.2.11): DTMF on the active (or alerting, as oFono allows) call. MediaTek's RIL sends it for IMS
   * calls too (requestDtmf in its ril_cc.c, one digit per command, on the call-control channel).
   */
  async sendTones(tones: string): Promise<void> {
    if (!/^[0-9*#A-Da-d]{1,64}$/.test(tones)) throw new ModemDriverError('tones', `"${tones}" are not DTMF digits (0-9, *, #, A-D)`);
    if (![...this.#calls.values()].some((c) => c.state === 'active' || c.state === 'alerting')) throw new ModemDriverError('tones', 'no active call');
    for (const t of tones.toUpperCase()) await this.#run('tones', `AT+VTS=${t}`);
  }

  /** ATH: release every call this channel set up */
  async hangupAll(): Promise<void> {
    await this.#run('hangup', 'ATH');
  }

  /** The modem went away: every call is released. */
  reset(reason: string): void {
    if (this.#pendingDial) {
      clearTimeout(this.#pendingDial.timer);
      this.#pendingDial.reject(new ModemDriverError('dial', reason));
      this.#pendingDial = undefined;
    }
    for (const c of [...this.#calls.values()]) this.#release(c, undefined);
  }

  async #run(op: string, command: string): Promise<void> {
    let r;
    try {
      r = await this.#channel().command(command);
    } catch (e) {
      throw new ModemDriverError(op, (e as Error).message);
    }
    if (r.final.kind !== 'ok') throw new ModemDriverError(op, `${command} refused: ${describeFinal(r.final)}`);
  }

  #eaic(line: string): void {
    const e = parseEaic(line);
    const c: ModemCall = { id: e.callId, direction: 'incoming', number: e.number, state: 'approval', callMode: e.callMode, remoteHeld: false, inbandTones: false, seqNo: e.seqNo };
    this.#calls.set(c.id, c);
    this.#onChange({ ...c });
  }

  #ecpi(line: string): void {
    const e = parseEcpi(line);
    let c = this.#calls.get(e.callId);
    if (e.msgType === ECPI.MO_CALL_ID_ASSIGN) {
      const p = this.#pendingDial;
      c = { id: e.callId, direction: 'outgoing', number: e.number ?? p?.number ?? '', state: 'dialing', remoteHeld: false, inbandTones: e.inbandTones, ...(e.callMode !== undefined ? { callMode: e.callMode } : {}) };
      this.#calls.set(c.id, c);
      this.#onChange({ ...c });
      if (p) {
        clearTimeout(p.timer);
        this.#pendingDial = undefined;
        p.resolve({ ...c });
      }
      return;
    }
    if (!c) {
      if (e.msgType !== ECPI.SETUP) {
        this.#log.debug('+ECPI for an unknown call ignored', { callId: e.callId, msgType: e.msgType });
        return;
      }
      // an incoming call the modem did not ask approval for
      c = { id: e.callId, direction: 'incoming', number: e.number ?? '', state: 'incoming', remoteHeld: false, inbandTones: false };
      this.#calls.set(c.id, c);
    }
    const before = JSON.stringify(c);
    if (e.callMode !== undefined) c.callMode = e.callMode;
    if (e.number !== undefined && c.number === '') c.number = e.number;
    c.inbandTones = e.inbandTones;
    switch (e.msgType) {
      case ECPI.SETUP:
        c.state = 'incoming';
        break;
      case ECPI.ALERT:
        c.state = 'alerting';
        break;
      case ECPI.CONNECTED:
      case ECPI.ACTIVE:
        c.state = 'active';
        break;
      case ECPI.HELD:
        c.state = 'held';
        break;
      case ECPI.REMOTE_HOLD:
        c.remoteHeld = true;
        break;
      case ECPI.REMOTE_RESUME:
        c.remoteHeld = false;
        break;
      case ECPI.DISCONNECTED:
        this.#release(c, e.cause);
        return;
      default:
        this.#log.debug('+ECPI message type without a state change', { callId: c.id, msgType: e.msgType });
    }
    if (JSON.stringify(c) !== before) this.#onChange({ ...c });
  }

  #release(c: ModemCall, cause: number | undefined): void {
    this.#calls.delete(c.id);
    c.state = 'released';
    if (cause !== undefined) c.cause = cause;
    this.#onChange({ ...c });
  }
}
