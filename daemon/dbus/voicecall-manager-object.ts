// org.ofono.VoiceCallManager on the modem path (oFono doc/voicecallmanager-api.txt), driven by a
// CallBackend (backend.ts). It follows oFono's core (src/voicecall.c):
// - arguments are checked first (InvalidFormat for a bad number, CLIR string or tone);
// - one request at a time per modem: another while one is under way is InProgress (oFono's
//   vc->pending), GetProperties/GetCalls excepted;
// - the call states decide what is allowed (call-rules.ts, Failed otherwise), then the backend acts;
//   a CallBackendError becomes org.ofono.Error.<code>;
// - the backend's call events become VoiceCall objects and signals (call-tracker.ts).
// Without a backend every method that places or changes a call answers NotImplemented.
// Transfer, multiparty, DialLast/DialMemory and ReleaseAndSwap are not offered by the backend and
// answer NotImplemented.
import type { Logger } from '../log/logger.js';
import { CallBackendError, type CallBackend, type CallState, type HideCallerId } from './backend.js';
import type { BusConnection, ExportedObject } from './binding.js';
import { HIDE_CALLERID_RULE, isHideCallerId, isPhoneNumber, isTones, normalizeTones, PHONE_NUMBER_RULE, TONES_RULE } from './call-arguments.js';
import {
  answerRefusal,
  dialRefusal,
  hangupRefusal,
  holdAndAnswerRefusal,
  releaseAndAnswerRefusal,
  swapRefusal,
  tonesRefusal,
} from './call-rules.js';
import { CallTracker } from './call-tracker.js';
import { invalidFormat, notImplemented, OfonoError } from './errors.js';
import { VOICE_CALL_MANAGER } from './interfaces.js';
import { toDict } from './properties.js';
import type { CallActions } from './voicecall-object.js';

/** oFono's list when the SIM gives none (src/voicecall.c default_en_list); used without a backend */
export const DEFAULT_EMERGENCY_NUMBERS = ['112', '911'];

const inProgress = (): OfonoError => new OfonoError('InProgress', 'Operation already in progress');

function toOfonoError(e: unknown): unknown {
  return e instanceof CallBackendError ? new OfonoError(e.code, e.message) : e;
}

export interface VoiceCallManagerOptions {
  backend?: CallBackend;
  log?: Logger;
}

export class VoiceCallManagerObject {
  #exported: ExportedObject | undefined;
  #busy = false;
  readonly #backend: CallBackend | undefined;
  readonly #log: Logger | undefined;
  readonly #calls: CallTracker;

  constructor(
    private readonly conn: BusConnection,
    private readonly path: string,
    options: VoiceCallManagerOptions = {},
  ) {
    this.#backend = options.backend;
    this.#log = options.log;
    this.#calls = new CallTracker(conn, path, {
      emit: (signal, ...args) => this.#exported?.emit(signal, ...args),
      actionsFor: (id) => this.#actionsFor(id),
      log: options.log,
    });
  }

  export(): void {
    const ni = (name: string) => () => Promise.reject(notImplemented(`VoiceCallManager.${name}`));
    this.#exported = this.conn.exportObject(this.path, VOICE_CALL_MANAGER, {
      GetProperties: () => toDict({ EmergencyNumbers: [...(this.#backend?.emergencyNumbers ?? DEFAULT_EMERGENCY_NUMBERS)] }),
      GetCalls: () => this.#calls.list().map(([path, props]) => [path, toDict(props)]),
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
      HangupAll: this.#managerAction('HangupAll', () => undefined, (b) => (this.#calls.size === 0 ? Promise.resolve() : b.hangupAll())),
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
    if (this.#backend) this.#calls.follow(this.#backend);
  }

  stop(): void {
    this.#calls.stop();
    this.#exported?.unexport();
    this.#exported = undefined;
  }

  #need(method: string): CallBackend {
    if (!this.#backend) throw notImplemented(`VoiceCallManager.${method}`);
    return this.#backend;
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
        const refused = refusal(this.#calls.states());
        if (refused) throw refused;
        this.#log?.debug(method);
        await act(backend);
      });
    };
  }

  #dial(backend: CallBackend, number: string, hide: HideCallerId): Promise<string> {
    const refused = dialRefusal(this.#calls.states());
    if (refused) return Promise.reject(refused);
    this.#log?.debug('Dial', { number });
    return this.#calls.dial(() => backend.dial(number, hide));
  }

  #actionsFor(id: string): CallActions {
    return {
      // voicecall_answer checks the state before anything else, voicecall_hangup after InProgress
      answer: () => {
        const backend = this.#need('Answer');
        const refused = answerRefusal(this.#calls.stateOf(id));
        if (refused) return Promise.reject(refused);
        return this.#exclusive(() => backend.answer(id));
      },
      hangup: () => {
        const backend = this.#need('Hangup');
        return this.#exclusive(async () => {
          const refused = hangupRefusal(this.#calls.stateOf(id));
          if (refused) throw refused;
          await backend.hangup(id);
        });
      },
    };
  }
}
