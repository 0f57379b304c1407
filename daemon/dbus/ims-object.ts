// org.ofono.IpMultimediaSystem on the modem path (oFono doc/ims-api.txt + Sailfish's Registration).
// Registered/VoiceCapable/SmsCapable come from the ImsBackend; Registration (auto/enabled/disabled)
// is ours: remembered per IMSI and applied at start and on every change:
//   disabled -> unregister(); enabled -> register();
//   auto -> register() unless the network says IMS voice is not supported. imsd does not learn
//   that yet (no IMS-voice-over-PS indication from the modem drivers), so auto == enabled for now.
import type { Logger } from '../log/logger.js';
import { ImsBackendError, isRegistrationSetting, type ImsBackend, type RegistrationSetting } from './backend.js';
import { Variant, type BusConnection, type ExportedObject } from './binding.js';
import { OfonoError, invalidArguments, invalidFormat } from './errors.js';
import { IP_MULTIMEDIA_SYSTEM } from './interfaces.js';
import { changedNames, toDict, variantOf, type PropertyMap } from './properties.js';
import { DEFAULT_REGISTRATION, type RegistrationStore } from './registration-store.js';

const READ_ONLY = new Set(['Registered', 'VoiceCapable', 'SmsCapable']);

function toOfonoError(e: unknown): unknown {
  return e instanceof ImsBackendError ? new OfonoError(e.code, e.message) : e;
}

export class ImsObject {
  #setting: RegistrationSetting = DEFAULT_REGISTRATION;
  #settingImsi: string | undefined;
  /** set through SetProperty before the IMSI was known: remembered for that SIM once it is */
  #unsaved = false;
  #shown: PropertyMap = {};
  #exported: ExportedObject | undefined;
  readonly #onChange = (): void => void this.#backendChanged();

  constructor(
    private readonly conn: BusConnection,
    private readonly path: string,
    private readonly backend: ImsBackend,
    private readonly store: RegistrationStore,
    private readonly log: Logger,
  ) {}

  get setting(): RegistrationSetting {
    return this.#setting;
  }

  properties(): PropertyMap {
    return {
      Registered: this.backend.registered,
      VoiceCapable: this.backend.voiceCapable,
      SmsCapable: this.backend.smsCapable,
      Registration: this.#setting,
    };
  }

  /** exports the interface; start() then loads and applies the remembered setting */
  export(): void {
    this.#exported = this.conn.exportObject(this.path, IP_MULTIMEDIA_SYSTEM, {
      GetProperties: () => toDict(this.properties()),
      SetProperty: (name, value) => this.#setProperty(name as string, value as Variant),
      Register: () => this.#register(),
      Unregister: () => this.backend.unregister().catch((e: unknown) => Promise.reject(toOfonoError(e))),
    });
  }

  /** loads the remembered setting, follows the backend, and applies the setting */
  async start(): Promise<void> {
    await this.#loadSetting();
    this.#shown = this.properties();
    this.backend.events.on('change', this.#onChange);
    this.#apply('start');
  }

  stop(): void {
    this.backend.events.off('change', this.#onChange);
    this.#exported?.unexport();
    this.#exported = undefined;
  }

  async #loadSetting(): Promise<void> {
    const imsi = this.backend.imsi;
    if (imsi === undefined || imsi === this.#settingImsi) return;
    if (this.#unsaved) {
      this.#unsaved = false;
      this.#settingImsi = imsi;
      await this.store.save(imsi, this.#setting).catch((e: unknown) =>
        this.log.error('cannot remember the Registration setting', { error: String(e) }),
      );
      return;
    }
    try {
      this.#setting = await this.store.load(imsi);
      this.#settingImsi = imsi;
    } catch (e) {
      this.log.warning('cannot read the remembered Registration setting; using auto', { error: String(e) });
      this.#setting = DEFAULT_REGISTRATION;
    }
  }

  async #backendChanged(): Promise<void> {
    const imsiBefore = this.#settingImsi;
    const settingBefore = this.#setting;
    await this.#loadSetting();
    this.#announce();
    if (this.#settingImsi !== imsiBefore && this.#setting !== settingBefore) this.#apply('SIM changed');
  }

  /** PropertyChanged for every property whose value changed or appeared since last shown */
  #announce(): void {
    const now = this.properties();
    for (const name of changedNames(this.#shown, now)) {
      this.#exported?.emit('PropertyChanged', name, variantOf(now[name]!));
    }
    this.#shown = now;
  }

  async #setProperty(name: string, value: Variant): Promise<void> {
    if (name !== 'Registration') {
      throw invalidArguments(READ_ONLY.has(name) ? `${name} is read-only` : `unknown property ${name}`);
    }
    if (value.signature !== 's') throw invalidArguments('Registration takes a string');
    if (!isRegistrationSetting(value.value)) throw invalidFormat('Registration is one of auto, enabled, disabled');
    const setting = value.value;
    if (setting === this.#setting) return;
    const imsi = this.backend.imsi;
    if (imsi !== undefined) {
      try {
        await this.store.save(imsi, setting);
      } catch (e) {
        this.log.error('cannot remember the Registration setting', { error: String(e) });
        throw new OfonoError('Failed', 'cannot store the setting');
      }
    }
    this.#setting = setting;
    this.#settingImsi = imsi;
    this.#unsaved = imsi === undefined;
    this.log.info('Registration setting changed', { setting });
    this.#announce();
    this.#apply('setting changed');
  }

  async #register(): Promise<void> {
    if (this.#setting === 'disabled') throw new OfonoError('NotAllowed', 'IMS registration is disabled');
    await this.backend.register().catch((e: unknown) => Promise.reject(toOfonoError(e)));
  }

  #apply(why: string): void {
    const disabled = this.#setting === 'disabled';
    const action = disabled ? this.backend.unregister() : this.backend.register();
    action.catch((e: unknown) =>
      this.log.warning(`${disabled ? 'unregister' : 'register'} failed`, {
        why,
        setting: this.#setting,
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  }
}
