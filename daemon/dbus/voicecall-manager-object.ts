// org.ofono.VoiceCallManager on the modem path (oFono doc/voicecallmanager-api.txt). Arguments are
// checked as oFono checks them (InvalidFormat for a bad number or CLIR string); every method imsd
// cannot carry out yet then answers NotImplemented, never a silent success.
import type { BusConnection, ExportedObject } from './binding.js';
import { invalidFormat, notImplemented } from './errors.js';
import { VOICE_CALL_MANAGER } from './interfaces.js';
import { toDict } from './properties.js';
import { VoiceCallObject, type CallProperties, type DisconnectReason } from './voicecall-object.js';

/** oFono's list when the SIM gives none (src/voicecall.c default_en_list) */
export const DEFAULT_EMERGENCY_NUMBERS = ['112', '911'];

// oFono src/common.c valid_phone_number_format(): optional '+', then 1..80 of 0-9 * #
const PHONE_NUMBER = /^\+?[0-9*#]{1,80}$/;
const HIDE_CALLERID = new Set(['', 'default', 'enabled', 'disabled']);
// 3GPP TS 22.030: DTMF tones 0-9 * # A-D (oFono also takes a pause 'p')
const TONES = /^[0-9*#A-Da-dpP]+$/;

function checkHideCallerId(value: unknown): void {
  if (typeof value !== 'string' || !HIDE_CALLERID.has(value)) {
    throw invalidFormat('hide_callerid is one of "", default, enabled, disabled');
  }
}

export class VoiceCallManagerObject {
  readonly #calls = new Map<string, VoiceCallObject>();
  #nextCall = 1;
  #exported: ExportedObject | undefined;

  constructor(
    private readonly conn: BusConnection,
    private readonly path: string,
    private readonly emergencyNumbers: string[] = DEFAULT_EMERGENCY_NUMBERS,
  ) {}

  export(): void {
    const ni = (name: string) => () => Promise.reject(notImplemented(`VoiceCallManager.${name}`));
    this.#exported = this.conn.exportObject(this.path, VOICE_CALL_MANAGER, {
      GetProperties: () => toDict({ EmergencyNumbers: this.emergencyNumbers }),
      GetCalls: () => [...this.#calls.values()].map((c) => [c.path, toDict(c.properties)]),
      Dial: (number, hide) => {
        if (typeof number !== 'string' || !PHONE_NUMBER.test(number)) throw invalidFormat('number is [+][0-9*#]{1,80}');
        checkHideCallerId(hide);
        throw notImplemented('VoiceCallManager.Dial');
      },
      DialLast: ni('DialLast'),
      DialMemory: (_position, hide) => {
        checkHideCallerId(hide);
        throw notImplemented('VoiceCallManager.DialMemory');
      },
      Transfer: ni('Transfer'),
      SwapCalls: ni('SwapCalls'),
      ReleaseAndAnswer: ni('ReleaseAndAnswer'),
      ReleaseAndSwap: ni('ReleaseAndSwap'),
      HoldAndAnswer: ni('HoldAndAnswer'),
      HangupAll: ni('HangupAll'),
      PrivateChat: ni('PrivateChat'),
      CreateMultiparty: ni('CreateMultiparty'),
      HangupMultiparty: ni('HangupMultiparty'),
      SendTones: (tones) => {
        if (typeof tones !== 'string' || !TONES.test(tones)) throw invalidFormat('tones are 0-9 * # A-D');
        throw notImplemented('VoiceCallManager.SendTones');
      },
    });
  }

  /** a new call: exported at <modem>/voicecallNN (never reused), then CallAdded */
  addCall(initial: CallProperties): VoiceCallObject {
    const path = `${this.path === '/' ? '' : this.path}/voicecall${String(this.#nextCall++).padStart(2, '0')}`;
    const call = new VoiceCallObject(this.conn, path, initial);
    this.#calls.set(path, call);
    this.#exported?.emit('CallAdded', path, toDict(call.properties));
    return call;
  }

  /** DisconnectReason, State=disconnected, then CallRemoved (voicecall-api.txt order) */
  removeCall(path: string, reason: DisconnectReason): void {
    const call = this.#calls.get(path);
    if (!call) return;
    if (call.properties.State !== 'disconnected') call.disconnect(reason);
    this.#calls.delete(path);
    call.unexport();
    this.#exported?.emit('CallRemoved', path);
  }

  stop(): void {
    for (const call of this.#calls.values()) call.unexport();
    this.#calls.clear();
    this.#exported?.unexport();
    this.#exported = undefined;
  }
}
