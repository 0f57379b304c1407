// The ImsBackend (org.ofono.IpMultimediaSystem) for Modem=mediatek, Mode=modem-ims: MediaTek's own
// IMS stack registers; imsd only reports and switches it (modem-drivers/mediatek/COMMANDS.md
// "modem-ims mode").
//   Registered   = the last +CIREGU says <reg_info> 1 (27.007 8.71); false before the first and
//                  after a modem reset.
//   VoiceCapable = undefined before the first +CIREGU; then registered and, when +CIREGU carries
//                  <ext_info>, its bit 1 (RTP-based voice, MMTel) set. Without <ext_info> a
//                  registration counts as voice-capable: the driver turns the modem's VoLTE on
//                  (AT+EIMSVOLTE=1) at start-up and register() does again, and +EIMS/+EIMSVOLTE
//                  report nothing more precise.
//   SmsCapable   = undefined until a +CIREGU with <ext_info>; then registered and bit 4 (SMS over IP).
//   register()   = AT+EIMSVOLTE=1, AT+EIMS=1; a no-op while registered or while the modem's IMS
//                  is known on (+EIMCFLAG: 1: it registers by itself), unless unregister() switched
//                  it off since.
//   unregister() = AT+EIMS=0 (the modem de-registers; +CIREGU: 0 follows).
// close() leaves the modem's IMS switch as it is: the user's Registration setting stays in force.
import { EventEmitter } from 'node:events';
import { ImsBackendError, type ImsBackend } from '../dbus/backend.js';
import type { Logger } from '../log/logger.js';
import type { ImsRegistration } from '../../modem-drivers/mediatek/ims-lines.js';

/** 27.007 8.71 <ext_info> bits */
const EXT_VOICE = 1;
const EXT_SMS = 4;

/** what the backend needs of MediatekDriver (a fake in the unit tests) */
export interface ModemImsControl {
  readonly imsRegistration: ImsRegistration | undefined;
  readonly modemImsEnabled: boolean | undefined;
  setModemIms(enabled: boolean): Promise<void>;
  setModemVolte(enabled: boolean): Promise<void>;
  on(event: 'ims-registration', listener: (r: ImsRegistration) => void): unknown;
  on(event: 'modem-reset', listener: () => void): unknown;
  off(event: 'ims-registration', listener: (r: ImsRegistration) => void): unknown;
  off(event: 'modem-reset', listener: () => void): unknown;
}

export interface ModemImsBackendOptions {
  driver: ModemImsControl;
  /** the SIM's IMSI ([Sim] Imsi, or AT+CIMI), undefined when neither gave one */
  imsi: string | undefined;
  logger: Logger;
}

export class ModemImsBackend implements ImsBackend {
  readonly events = new EventEmitter();
  readonly imsi: string | undefined;
  readonly #o: ModemImsBackendOptions;
  #reg: ImsRegistration | undefined;
  #closed = false;
  /** unregister() switched the modem's IMS off: the next register() switches it on whatever the URCs said */
  #offByUs = false;

  constructor(o: ModemImsBackendOptions) {
    this.#o = o;
    this.imsi = o.imsi;
    this.#reg = o.driver.imsRegistration;
    o.driver.on('ims-registration', this.#onRegistration);
    o.driver.on('modem-reset', this.#onReset);
  }

  get registered(): boolean {
    return this.#reg?.registered ?? false;
  }

  get voiceCapable(): boolean | undefined {
    const r = this.#reg;
    if (!r) return undefined;
    return r.registered && (r.extInfo === undefined || (r.extInfo & EXT_VOICE) !== 0);
  }

  get smsCapable(): boolean | undefined {
    const r = this.#reg;
    if (r?.extInfo === undefined) return undefined;
    return r.registered && (r.extInfo & EXT_SMS) !== 0;
  }

  #set(reg: ImsRegistration | undefined): void {
    const before = [this.registered, this.voiceCapable, this.smsCapable];
    this.#reg = reg;
    const after = [this.registered, this.voiceCapable, this.smsCapable];
    if (before.some((v, i) => v !== after[i])) {
      this.#o.logger.notice('modem IMS registration', { registered: this.registered, voice: this.voiceCapable, sms: this.smsCapable });
      this.events.emit('change');
    }
  }

  readonly #onRegistration = (r: ImsRegistration): void => this.#set({ ...r });

  readonly #onReset = (): void => this.#set(undefined);

  async register(): Promise<void> {
    if (this.#closed) throw new ImsBackendError('NotAllowed', 'imsd is shutting down');
    if (!this.#offByUs && (this.registered || this.#o.driver.modemImsEnabled === true)) return;
    try {
      await this.#o.driver.setModemVolte(true);
      await this.#o.driver.setModemIms(true);
      this.#offByUs = false;
    } catch (e) {
      this.#o.logger.error('could not switch the modem\'s IMS on', { error: (e as Error).message });
      throw new ImsBackendError('Failed', `could not switch the modem's IMS on: ${(e as Error).message}`);
    }
  }

  async unregister(): Promise<void> {
    if (this.#closed) throw new ImsBackendError('NotAllowed', 'imsd is shutting down');
    try {
      await this.#o.driver.setModemIms(false);
      this.#offByUs = true;
    } catch (e) {
      this.#o.logger.error('could not switch the modem\'s IMS off', { error: (e as Error).message });
      throw new ImsBackendError('Failed', `could not switch the modem's IMS off: ${(e as Error).message}`);
    }
  }

  /** stop following the driver; the modem's IMS switch is left as it is */
  close(): void {
    this.#closed = true;
    this.#o.driver.off('ims-registration', this.#onRegistration);
    this.#o.driver.off('modem-reset', this.#onReset);
  }
}
