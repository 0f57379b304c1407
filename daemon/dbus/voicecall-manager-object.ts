// org.ofono.VoiceCallManager on the modem path (oFono doc/voicecallmanager-api.txt), driven by a
// CallBackend (backend.ts). It follows oFono's core (src/voicecall.c):
// - arguments are checked first (InvalidFormat for a bad number, CLIR string or tone);
// - one request at a time per modem: another while one is under way is InProgress (oFono's
//   vc->pending), GetProperties/GetCalls excepted;
// - the call states decide what is allowed (call-rules.ts, Failed otherwise), then the backend acts;
//   a CallBackendError becomes org.ofono.Error.<code>;
// - backend events become objects and signals: `added` -> <modem>/voicecallNN (never reused)
//   and CallAdded; `changed` -> PropertyChanged per changed property; `removed` -> DisconnectReason,
//   State=disconnected, CallRemoved, and the object is gone.
// Without a backend every method that places or changes a call answers NotImplemented.
// Transfer, multiparty, DialLast/DialMemory and ReleaseAndSwap are not offered by the backend and
// answer NotImplemented.
import type { Logger } from '../log/logger.js';
import { CallBackendError, type CallBackend, type CallInfo, type CallState, type HideCallerId } from './backend.js';
import type { BusConnection, ExportedObject } from './binding.js';
import { HIDE_CALLERID_RULE, isHideCallerId, isPhoneNumber, isTones, normalizeTones, PHONE_NUMBER_RULE, TONES_RULE } from './call-arguments.js';
import { callProperties } from './call-properties.js';
import {
  answerRefusal,
  dialRefusal,
  hangupRefusal,
  holdAndAnswerRefusal,
  releaseAndAnswerRefusal,
  swapRefusal,
  tonesRefusal,
} from './call-rules.js';
import { invalidFormat, notImplemented, OfonoError } from './errors.js';
import { VOICE_CALL_MANAGER } from './interfaces.js';
import { toDict } from './properties.js';
import { VoiceCallObject } from './voicecall-object.js';

/** oFono's list when the SIM gives none (src/voicecall.c default_en_list); used without a backend */
export const DEFAULT_EMERGENCY_NUMBERS = ['112', '911'];

const inProgress = (): OfonoError => new OfonoError('InProgress', 'Operation already in progress');

function toOfonoError(e: unknown): unknown {
  return e instanceof CallBackendError ? new OfonoError(e.code, e.message) : e;
}

interface Tracked {
  id: string;
  object: VoiceCallObject;
}

export interface VoiceCallManagerOptions {
  backend?: CallBackend;
  log?: Logger;
}

export class VoiceCallManagerObject {
  /** live calls by path, in the order they came (GetCalls) */
  readonly #byPath = new Map<string, Tracked>();
  readonly #byId = new Map<string, Tracked>();
  #nextCall = 1;
  #exported: ExportedObject | undefined;
  #busy = false;
  #dialInFlight = false;
  /** calls removed while Dial waited for the backend: Dial still answers with their path */
  readonly #goneDuringDial = new Map<string, string>();
  readonly #backend: CallBackend | undefined;
  readonly #log: Logger | undefined;
  readonly #listeners: [string, (info: CallInfo) => void][];

  constructor(
    private readonly conn: BusConnection,
    private readonly path: string,
    options: VoiceCallManagerOptions = {},
  ) {
    this.#backend = options.backend;
    this.#log = options.log;
    this.#listeners = [
      ['added', (info) => this.#guard('added', () => this.#onAdded(info))],
      ['changed', (info) => this.#guard('changed', () => this.#onChanged(info))],
      ['removed', (info) => this.#guard('removed', () => this.#onRemoved(info))],
    ];
  }

  export(): void {
    const ni = (name: string) => () => Promise.reject(notImplemented(`VoiceCallManager.${name}`));
    this.#exported = this.conn.exportObject(this.path, VOICE_CALL_MANAGER, {
      GetProperties: () => toDict({ EmergencyNumbers: [...(this.#backend?.emergencyNumbers ?? DEFAULT_EMERGENCY_NUMBERS)] }),
      GetCalls: () => [...this.#byPath.values()].map((c) => [c.object.path, toDict(c.object.properties)]),
      Dial: (number, hide) => {
        if (!isPhoneNumber(number)) throw invalidFormat(PHONE_NUMBER_RULE);
        if (!isHideCallerId(hide)) throw invalidFormat(HIDE_CALLERID_RULE);
        const backend = this.#need('Dial');
        return this.#exclusive(() => this.#dial(backend, number, hide));
      },
      DialLast: ni('DialLast'),
      DialMemory: (_position, hide) => {
        if (!isHideCallerId(hide)) throw invalidFormat(HIDE_CALLERID_RULE);
        throw notImplemented('VoiceCallManager.DialMemory');
      },
      Transfer: ni('Transfer'),
      SwapCalls: this.#managerAction('SwapCalls', swapRefusal, (b) => b.swapCalls()),
      ReleaseAndAnswer: this.#managerAction('ReleaseAndAnswer', releaseAndAnswerRefusal, (b) => b.releaseAndAnswer()),
      ReleaseAndSwap: ni('ReleaseAndSwap'),
      HoldAndAnswer: this.#managerAction('HoldAndAnswer', holdAndAnswerRefusal, (b) => b.holdAndAnswer()),
      // oFono answers at once when there is no call (src/voicecall.c manager_hangup_all)
      HangupAll: this.#managerAction('HangupAll', () => undefined, (b) => (this.#byId.size === 0 ? Promise.resolve() : b.hangupAll())),
      PrivateChat: ni('PrivateChat'),
      CreateMultiparty: ni('CreateMultiparty'),
      HangupMultiparty: ni('HangupMultiparty'),
      SendTones: (tones) => {
        if (!isTones(tones)) throw invalidFormat(TONES_RULE);
        return this.#managerAction('SendTones', tonesRefusal, (b) => b.sendTones(normalizeTones(tones)))();
      },
    });
  }

  /** follows the backend: its current calls are exported, then its events */
  start(): void {
    const backend = this.#backend;
    if (!backend) return;
    for (const [event, listener] of this.#listeners) backend.events.on(event, listener);
    for (const info of backend.calls) this.#onAdded(info);
  }

  stop(): void {
    if (this.#backend) for (const [event, listener] of this.#listeners) this.#backend.events.off(event, listener);
    for (const call of this.#byPath.values()) call.object.unexport();
    this.#byPath.clear();
    this.#byId.clear();
    this.#exported?.unexport();
    this.#exported = undefined;
  }

  #need(method: string): CallBackend {
    if (!this.#backend) throw notImplemented(`VoiceCallManager.${method}`);
    return this.#backend;
  }

  #states(): CallState[] {
    return [...this.#byPath.values()].map((c) => c.object.properties.State);
  }

  /** oFono's vc->pending: one request at a time; the backend's refusal as org.ofono.Error.<code> */
  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#busy) throw inProgress();
    this.#busy = true;
    try {
      return await work();
    } catch (e) {
      throw toOfonoError(e);
    } finally {
      this.#busy = false;
    }
  }

  #managerAction(
    method: string,
    refusal: (states: CallState[]) => OfonoError | undefined,
    act: (backend: CallBackend) => Promise<void>,
  ): () => Promise<void> {
    return () => {
      const backend = this.#need(method);
      return this.#exclusive(async () => {
        const refused = refusal(this.#states());
        if (refused) throw refused;
        this.#log?.debug(method);
        await act(backend);
      });
    };
  }

  async #dial(backend: CallBackend, number: string, hide: HideCallerId): Promise<string> {
    const refused = dialRefusal(this.#states());
    if (refused) throw refused;
    this.#dialInFlight = true;
    try {
      this.#log?.debug('Dial', { number });
      const info = await backend.dial(number, hide);
      // the backend may have announced the call (added) before answering, or not at all
      const known = this.#byId.get(info.id)?.object.path ?? this.#goneDuringDial.get(info.id);
      if (known) return known;
      const path = this.#add(info).object.path;
      if (info.state === 'disconnected') this.#remove(info);
      return path;
    } finally {
      this.#dialInFlight = false;
      this.#goneDuringDial.clear();
    }
  }

  #actionsFor(id: string) {
    return {
      // voicecall_answer checks the state before anything else, voicecall_hangup after InProgress
      answer: () => {
        const backend = this.#need('Answer');
        const refused = answerRefusal(this.#stateOf(id));
        if (refused) return Promise.reject(refused);
        return this.#exclusive(() => backend.answer(id));
      },
      hangup: () => {
        const backend = this.#need('Hangup');
        return this.#exclusive(async () => {
          const refused = hangupRefusal(this.#stateOf(id));
          if (refused) throw refused;
          await backend.hangup(id);
        });
      },
    };
  }

  #stateOf(id: string): CallState {
    return this.#byId.get(id)?.object.properties.State ?? 'disconnected';
  }

  /** a backend listener must never throw into the call service: failures are logged */
  #guard(event: string, work: () => void): void {
    try {
      work();
    } catch (e) {
      this.#log?.error('call event not shown on D-Bus', { event, error: e instanceof Error ? e.message : String(e) });
    }
  }

  #onAdded(info: CallInfo): void {
    if (this.#byId.has(info.id)) return this.#onChanged(info);
    this.#add(info);
    if (info.state === 'disconnected') this.#remove(info);
  }

  #onChanged(info: CallInfo): void {
    const call = this.#byId.get(info.id);
    if (!call) return this.#onAdded(info);
    call.object.update(callProperties(info), info.disconnectReason);
  }

  #onRemoved(info: CallInfo): void {
    if (!this.#byId.has(info.id)) {
      if (!this.#dialInFlight) {
        this.#log?.warning('the call backend removed a call it never announced', { id: info.id });
        return;
      }
      // gone before Dial got its answer: show the whole life so the path Dial returns was real
      this.#add(info);
    }
    this.#remove(info);
  }

  /** exported at <modem>/voicecallNN (never reused while the daemon runs), then CallAdded */
  #add(info: CallInfo): Tracked {
    const path = `${this.path === '/' ? '' : this.path}/voicecall${String(this.#nextCall++).padStart(2, '0')}`;
    // a call first seen already over is shown as it began, so its end can be announced
    const begun: CallState = info.direction === 'incoming' ? 'incoming' : 'dialing';
    const props = callProperties({ ...info, state: info.state === 'disconnected' ? begun : info.state });
    const call: Tracked = { id: info.id, object: new VoiceCallObject(this.conn, path, props, this.#backend ? this.#actionsFor(info.id) : undefined) };
    this.#byPath.set(path, call);
    this.#byId.set(info.id, call);
    this.#exported?.emit('CallAdded', path, toDict(props));
    return call;
  }

  /** the final changes, DisconnectReason, State=disconnected, then CallRemoved and unexport */
  #remove(info: CallInfo): void {
    const call = this.#byId.get(info.id);
    if (!call) return;
    call.object.update({ ...callProperties(info), State: 'disconnected' }, info.disconnectReason);
    this.#byId.delete(info.id);
    this.#byPath.delete(call.object.path);
    call.object.unexport();
    this.#exported?.emit('CallRemoved', call.object.path);
    if (this.#dialInFlight) this.#goneDuringDial.set(info.id, call.object.path);
  }
}
