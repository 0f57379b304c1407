// The CallBackend behind org.ofono.VoiceCallManager for the daemon's whole life. The D-Bus service
// needs it at start, but the call service rides on the registration's SIP stack, and the
// registration service starts only on the first register() (Registration "disabled" sends no
// REGISTER). Until attach() gives it the registration, Dial answers NotAllowed (an emergency number
// NotImplemented, as the call service would: the dialer falls back to circuit-switched calling) and
// no call is listed; from then on every method goes to the call service and its events are
// forwarded. close() ends every call (BYE/CANCEL/reject) and must come before the de-registration.
import { EventEmitter } from 'node:events';
import { CallBackendError, type CallBackend, type CallBackendEvents, type CallInfo, type HideCallerId } from '../dbus/backend.js';
import type { CallService } from '../ims/call/types.js';
import type { Registration } from '../ims/registration/service.js';
import type { Logger } from '../log/logger.js';

/** oFono's list when the SIM gives none (src/voicecall.c default_en_list), also given to the call service */
export const EMERGENCY_NUMBERS: readonly string[] = ['112', '911'];

export interface LateCallBackendOptions {
  /** creates the call service on the registration (startCallService with the daemon's options) */
  start: (registration: Registration) => CallService;
  /** EmergencyNumbers before the call service exists (give the service the same list) */
  emergencyNumbers?: readonly string[];
  logger: Logger;
}

const EVENTS: readonly (keyof CallBackendEvents)[] = ['added', 'changed', 'removed'];

export class LateCallBackend implements CallBackend {
  readonly events = new EventEmitter();
  readonly #o: LateCallBackendOptions;
  #service: CallService | undefined;
  #detach: (() => void) | undefined;
  #closed = false;

  constructor(o: LateCallBackendOptions) {
    this.#o = o;
  }

  /** the call service exists (VoiceCapable may become true once registered) */
  get attached(): boolean {
    return this.#service !== undefined;
  }

  /** create the call service on this registration; once only, never after close(); throws what startCallService throws */
  attach(registration: Registration): void {
    if (this.#service || this.#closed) return;
    const service = this.#o.start(registration);
    const forwarders = EVENTS.map((name) => {
      const f = (call: CallInfo): boolean => this.events.emit(name, call);
      service.events.on(name, f);
      return [name, f] as const;
    });
    this.#detach = () => {
      for (const [name, f] of forwarders) service.events.off(name, f);
    };
    this.#service = service;
    this.#o.logger.info('call service started');
  }

  get calls(): CallInfo[] {
    return this.#service?.calls ?? [];
  }

  get emergencyNumbers(): string[] {
    return this.#service?.emergencyNumbers ?? [...(this.#o.emergencyNumbers ?? EMERGENCY_NUMBERS)];
  }

  #notRegistered(): CallBackendError {
    return new CallBackendError('NotAllowed', this.#closed ? 'imsd is shutting down' : 'not registered: IMS registration has not been started');
  }

  #live(): CallService {
    if (!this.#service || this.#closed) throw this.#notRegistered();
    return this.#service;
  }

  async dial(number: string, hideCallerId: HideCallerId): Promise<CallInfo> {
    if (!this.#service && this.emergencyNumbers.includes(number)) {
      throw new CallBackendError('NotImplemented', `${number} is an emergency number: IMS emergency calls are not supported, use circuit-switched calling`);
    }
    return this.#live().dial(number, hideCallerId);
  }

  async answer(id: string): Promise<void> {
    if (!this.#service) throw new CallBackendError('NotFound', `no call ${id}`);
    return this.#service.answer(id);
  }

  async hangup(id: string): Promise<void> {
    if (!this.#service) throw new CallBackendError('NotFound', `no call ${id}`);
    return this.#service.hangup(id);
  }

  async hangupAll(): Promise<void> {
    // no call service: no call to hang up
    if (this.#service) await this.#service.hangupAll();
  }

  async holdAndAnswer(): Promise<void> {
    return this.#live().holdAndAnswer();
  }

  async releaseAndAnswer(): Promise<void> {
    return this.#live().releaseAndAnswer();
  }

  async swapCalls(): Promise<void> {
    return this.#live().swapCalls();
  }

  async sendTones(tones: string): Promise<void> {
    return this.#live().sendTones(tones);
  }

  /** end every call and detach from the registration; the calls' last events still reach D-Bus */
  async close(): Promise<void> {
    this.#closed = true;
    const service = this.#service;
    if (!service) return;
    try {
      await service.close();
    } finally {
      this.#detach?.();
      this.#detach = undefined;
    }
  }
}
