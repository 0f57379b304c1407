// The glue between ims/registration and the D-Bus ImsBackend (org.ofono.IpMultimediaSystem).
// The registration service is started on the first register(), so a Registration setting of
// "disabled" never sends a REGISTER; unregister() de-registers and holds until register().
// Registered = the registration state is registered or reregistering (the binding still holds
// while it is refreshed, TS 24.229 5.1.1.4.1). When the registration exists it is handed to the
// call service (`calls.attach`) before its first state is followed. VoiceCapable/SmsCapable appear
// once registered; VoiceCapable is true while registered with the call service present (GSMA IR.92
// 2.2.1: the MMTel feature tag is in every REGISTER's Contact, so the binding carries MMTel), false
// otherwise; SmsCapable is false: imsd has no SMS-over-IP service yet.
import { EventEmitter } from 'node:events';
import { ImsBackendError, type ImsBackend } from '../dbus/backend.js';
import type { Registration } from '../ims/registration/service.js';
import type { RegistrationSnapshot, RegistrationState } from '../ims/registration/machine.js';
import type { Logger } from '../log/logger.js';

const REGISTERED: readonly RegistrationState[] = ['registered', 'reregistering'];
const UNDERWAY: readonly RegistrationState[] = ['registering', 'authenticating', 'reregistering', 'registered'];

/** the call service's side of the composition (LateCallBackend) */
export interface CallAttachment {
  /** create the call service on this registration; may throw (then imsd registers without calls) */
  attach(registration: Registration): void;
  readonly attached: boolean;
}

export interface RegistrationBackendOptions {
  imsi: string | undefined;
  /** starts the registration service (startRegistration with the daemon's options) */
  start: () => Promise<Registration>;
  /** the call service to attach once the registration exists (none: VoiceCapable stays false) */
  calls?: CallAttachment;
  logger: Logger;
}

export class RegistrationBackend implements ImsBackend {
  readonly events = new EventEmitter();
  readonly imsi: string | undefined;
  readonly #o: RegistrationBackendOptions;
  #reg: Registration | undefined;
  #starting: Promise<Registration> | undefined;
  #state: RegistrationState = 'idle';
  #everRegistered = false;
  #closed = false;

  constructor(o: RegistrationBackendOptions) {
    this.#o = o;
    this.imsi = o.imsi;
  }

  get registered(): boolean {
    return REGISTERED.includes(this.#state);
  }

  get voiceCapable(): boolean | undefined {
    if (!this.#everRegistered) return undefined;
    return this.registered && (this.#o.calls?.attached ?? false);
  }

  get smsCapable(): boolean | undefined {
    return this.#everRegistered ? false : undefined;
  }

  /** the registration's latest snapshot, undefined before the first register() */
  get snapshot(): RegistrationSnapshot | undefined {
    return this.#reg?.snapshot;
  }

  #onState = (s: RegistrationSnapshot): void => {
    const before = [this.registered, this.voiceCapable];
    if (s.state !== this.#state) {
      const f = s.lastFailure;
      this.#o.logger.notice('registration state', { state: s.state, impu: s.defaultImpu, pcscf: s.pcscf ? `${s.pcscf.address}:${s.pcscf.port}` : undefined, failure: f ? `${f.kind}: ${f.reason}` : undefined });
    }
    this.#state = s.state;
    if (this.registered) this.#everRegistered = true;
    if (before[0] !== this.registered || before[1] !== this.voiceCapable) this.events.emit('change');
  };

  #attachCalls(reg: Registration): void {
    try {
      this.#o.calls?.attach(reg);
    } catch (e) {
      // registration still serves IpMultimediaSystem; VoiceCapable stays false and Dial NotAllowed
      this.#o.logger.error('the call service could not start: registering without calls', { error: (e as Error).message });
    }
  }

  async register(): Promise<void> {
    if (this.#closed) throw new ImsBackendError('NotAllowed', 'imsd is shutting down');
    try {
      if (!this.#reg) {
        if (!this.#starting) {
          this.#starting = this.#o.start().then((reg) => {
            this.#reg = reg;
            this.#attachCalls(reg);
            reg.events.on('state', this.#onState);
            this.#onState(reg.snapshot);
            return reg;
          });
        }
        await this.#starting;
        return;
      }
      if (UNDERWAY.includes(this.#state)) return;
      await this.#reg.register();
    } catch (e) {
      this.#starting = undefined;
      if (e instanceof ImsBackendError) throw e;
      this.#o.logger.error('could not start registering', { error: (e as Error).message });
      throw new ImsBackendError('Failed', `could not start registering: ${(e as Error).message}`);
    }
  }

  async unregister(): Promise<void> {
    const reg = this.#reg ?? (this.#starting ? await this.#starting.catch(() => undefined) : undefined);
    if (!reg) return;
    try {
      await reg.deregister();
    } catch (e) {
      throw new ImsBackendError('Failed', `de-registration failed: ${(e as Error).message}`);
    }
  }

  /** de-register (at most timeoutMs), close the sockets and remove every SA; register() is refused afterwards */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const reg = this.#reg ?? (this.#starting ? await this.#starting.catch(() => undefined) : undefined);
    if (!reg) return;
    await reg.stop(timeoutMs);
    reg.events.off('state', this.#onState);
  }
}
