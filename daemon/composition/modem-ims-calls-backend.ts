// The CallBackend (org.ofono.VoiceCallManager / VoiceCall) for Modem=mediatek, Mode=modem-ims: the
// modem's IMS stack places and carries the calls (modem-drivers/mediatek/calls.ts, COMMANDS.md
// "modem-ims mode"); this maps its ModemCall states to oFono's.
//   approval (+EAIC)   not shown yet: approved at once (AT+EAIC=0, as MediaTek's RIL auto-accepts in
//                      RtcCallController); the call appears when the modem rings (+ECPI 0), because
//                      ATA is only for a ringing call
//   incoming (+ECPI 0) 'incoming', or 'waiting' when another call is there
//   dialing / alerting / active / held  the same names
//   released           removed: disconnectReason local when imsd hung it up, remote for the far
//                      end's normal clearing causes (24.008 10.5.4.11 table 10.5.123: 16, 17, 19,
//                      21, 31), network for any other cause or none (modem reset)
import { EventEmitter } from 'node:events';
import { CallBackendError, type CallBackend, type CallInfo, type CallState, type HideCallerId } from '../dbus/backend.js';
import type { Logger } from '../log/logger.js';
import type { ModemCall } from '../../modem-drivers/mediatek/calls.js';
import { EMERGENCY_NUMBERS } from './call-backend.js';

/** what the backend needs of MediatekDriver (a fake in the unit tests) */
export interface ModemImsCallControl {
  dial(number: string): Promise<ModemCall>;
  approveIncoming(callId: number, accept?: boolean): Promise<void>;
  answer(): Promise<void>;
  hangup(callId: number): Promise<void>;
  hangupAll(): Promise<void>;
  chld(n: 1 | 2): Promise<void>;
  sendModemTones(tones: string): Promise<void>;
  on(event: 'call', listener: (c: ModemCall) => void): unknown;
  off(event: 'call', listener: (c: ModemCall) => void): unknown;
}

export interface ModemImsCallsBackendOptions {
  driver: ModemImsCallControl;
  emergencyNumbers?: readonly string[];
  logger: Logger;
}

/** the same numbers the driver takes (calls.ts): nothing that could end the AT command line */
const DIALLABLE = /^\+?[0-9*#]{1,40}$/;

/** 24.008 table 10.5.123: the far end ended or refused the call */
const REMOTE_CAUSES: ReadonlyMap<number, string> = new Map([
  [16, 'normal call clearing'],
  [17, 'user busy'],
  [19, 'user alerting, no answer'],
  [21, 'call rejected'],
  [31, 'normal, unspecified'],
]);

interface Tracked {
  info: CallInfo;
  /** imsd asked the modem to release it */
  local: boolean;
}

export class ModemImsCallsBackend implements CallBackend {
  readonly events = new EventEmitter();
  readonly #o: ModemImsCallsBackendOptions;
  /** by the modem's call id (reused by the modem after a call ends) */
  readonly #calls = new Map<number, Tracked>();
  #seq = 0;
  #closed = false;

  constructor(o: ModemImsCallsBackendOptions) {
    this.#o = o;
    o.driver.on('call', this.#onCall);
  }

  get calls(): CallInfo[] {
    return [...this.#calls.values()].map((t) => ({ ...t.info }));
  }

  get emergencyNumbers(): string[] {
    return [...(this.#o.emergencyNumbers ?? EMERGENCY_NUMBERS)];
  }

  #others(id: number): CallState[] {
    return [...this.#calls.entries()].filter(([k]) => k !== id).map(([, t]) => t.info.state);
  }

  readonly #onCall = (c: ModemCall): void => {
    const t = this.#calls.get(c.id);
    if (c.state === 'approval') {
      if (this.#closed) {
        void this.#o.driver.approveIncoming(c.id, false).catch(() => undefined);
        return;
      }
      this.#o.driver.approveIncoming(c.id, true).catch((e: Error) => this.#o.logger.error('approving the incoming call failed', { callId: c.id, error: e.message }));
      return;
    }
    if (c.state === 'released') {
      if (!t) return; // refused at approval, never shown
      this.#calls.delete(c.id);
      const remote = c.cause !== undefined ? REMOTE_CAUSES.get(c.cause) : undefined;
      const info: CallInfo = {
        ...t.info,
        state: 'disconnected',
        disconnectReason: t.local ? 'local' : remote !== undefined ? 'remote' : 'network',
        ...(c.cause !== undefined ? { information: `cause ${c.cause}${remote !== undefined ? ` (${remote})` : ''}` } : { information: 'released by the modem' }),
      };
      this.#o.logger.info('call ended', { callId: info.id, reason: info.disconnectReason, cause: c.cause });
      this.events.emit('removed', { ...info });
      return;
    }
    let state: CallState = c.state;
    if (c.state === 'incoming') state = this.#others(c.id).length > 0 ? 'waiting' : 'incoming';
    if (!t) {
      const info: CallInfo = {
        id: String(++this.#seq),
        direction: c.direction,
        state,
        lineIdentification: c.number !== '' ? c.number : 'withheld',
        name: '',
        remoteHeld: c.remoteHeld,
        emergency: false,
        earlyMedia: c.inbandTones,
        ...(state === 'active' ? { startTime: new Date().toISOString() } : {}),
      };
      this.#calls.set(c.id, { info, local: false });
      this.events.emit('added', { ...info });
      return;
    }
    const before = JSON.stringify(t.info);
    // a waiting call stays 'waiting' while the modem still calls it ringing
    if (!(state === 'incoming' && t.info.state === 'waiting')) t.info.state = state;
    if (state === 'active' && t.info.startTime === undefined) t.info.startTime = new Date().toISOString();
    t.info.remoteHeld = c.remoteHeld;
    t.info.earlyMedia = c.inbandTones;
    if (c.number !== '' && t.info.lineIdentification === 'withheld') t.info.lineIdentification = c.number;
    if (JSON.stringify(t.info) !== before) this.events.emit('changed', { ...t.info });
  };

  #find(id: string): [number, Tracked] {
    for (const e of this.#calls) if (e[1].info.id === id) return e;
    throw new CallBackendError('NotFound', `no call ${id}`);
  }

  #live(): void {
    if (this.#closed) throw new CallBackendError('NotAllowed', 'imsd is shutting down');
  }

  static #failed(what: string, e: unknown): CallBackendError {
    return new CallBackendError('Failed', `${what}: ${(e as Error).message}`);
  }

  async dial(number: string, hideCallerId: HideCallerId): Promise<CallInfo> {
    if (this.emergencyNumbers.includes(number)) {
      throw new CallBackendError('NotImplemented', `${number} is an emergency number: IMS emergency calls are not supported, use circuit-switched calling`);
    }
    if (!DIALLABLE.test(number)) throw new CallBackendError('InvalidFormat', `"${number}" is not a number imsd can dial (digits, +, *, #)`);
    if (hideCallerId === 'enabled' || hideCallerId === 'disabled') {
      throw new CallBackendError('NotImplemented', 'choosing CLIR per call is not supported with Mode=modem-ims (the network default applies)');
    }
    this.#live();
    let placed: ModemCall;
    try {
      placed = await this.#o.driver.dial(number);
    } catch (e) {
      throw ModemImsCallsBackend.#failed('the modem did not place the call', e);
    }
    // the 'call' event for +ECPI 130 came before dial() resolved
    const t = this.#calls.get(placed.id);
    if (!t) throw new CallBackendError('Failed', 'the call ended before it was set up');
    return { ...t.info };
  }

  async answer(id: string): Promise<void> {
    this.#live();
    const [, t] = this.#find(id);
    if (t.info.state !== 'incoming') throw new CallBackendError('NotAllowed', `call ${id} is ${t.info.state}, not incoming`);
    await this.#o.driver.answer().catch((e: unknown) => Promise.reject(ModemImsCallsBackend.#failed('answer', e)));
  }

  async hangup(id: string): Promise<void> {
    const [modemId, t] = this.#find(id);
    t.local = true;
    try {
      await this.#o.driver.hangup(modemId);
    } catch (e) {
      t.local = false;
      throw ModemImsCallsBackend.#failed('hang-up', e);
    }
  }

  async hangupAll(): Promise<void> {
    if (this.#calls.size === 0) return;
    for (const t of this.#calls.values()) t.local = true;
    await this.#o.driver.hangupAll().catch((e: unknown) => Promise.reject(ModemImsCallsBackend.#failed('hang-up', e)));
  }

  async #chld(n: 1 | 2, what: string): Promise<void> {
    this.#live();
    await this.#o.driver.chld(n).catch((e: unknown) => Promise.reject(ModemImsCallsBackend.#failed(what, e)));
  }

  /** AT+CHLD=2 (27.007 7.13): hold the active call, accept the waiting one */
  holdAndAnswer(): Promise<void> {
    return this.#chld(2, 'hold and answer');
  }

  /** AT+CHLD=1 (27.007 7.13): release the active call, accept the waiting or held one */
  async releaseAndAnswer(): Promise<void> {
    const active = [...this.#calls.values()].filter((t) => t.info.state === 'active');
    for (const t of active) t.local = true;
    try {
      await this.#chld(1, 'release and answer');
    } catch (e) {
      for (const t of active) t.local = false;
      throw e;
    }
  }

  /** AT+CHLD=2 (27.007 7.13): with an active and a held call, swaps them */
  swapCalls(): Promise<void> {
    return this.#chld(2, 'swap');
  }

  /** DTMF on the active call through the modem (AT+VTS); oFono's rules: digits 0-9 * # A-D, an active call */
  async sendTones(tones: string): Promise<void> {
    this.#live();
    if (!/^[0-9*#A-Da-d]+$/.test(tones)) throw new CallBackendError('InvalidFormat', `"${tones}" are not DTMF digits (0-9, *, #, A-D)`);
    if (![...this.#calls.values()].some((t) => t.info.state === 'active' || t.info.state === 'alerting')) throw new CallBackendError('Failed', 'no active call to send tones on');
    await this.#o.driver.sendModemTones(tones).catch((e: unknown) => Promise.reject(ModemImsCallsBackend.#failed('tones', e)));
  }

  /** hang up every call (ATH) and wait up to waitMs for the modem to release them; the rest are removed as local */
  async close(waitMs = 1000): Promise<void> {
    this.#closed = true;
    try {
      if (this.#calls.size > 0) {
        await this.hangupAll().catch((e: Error) => this.#o.logger.error('hanging up the calls at stop failed', { error: e.message }));
        const end = Date.now() + waitMs;
        while (this.#calls.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      }
      for (const [modemId, t] of [...this.#calls]) {
        this.#calls.delete(modemId);
        this.events.emit('removed', { ...t.info, state: 'disconnected', disconnectReason: 'local', information: 'imsd stopped' });
      }
    } finally {
      this.#o.driver.off('call', this.#onCall);
    }
  }
}
