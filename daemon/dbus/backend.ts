// The contract between the D-Bus service (daemon/dbus/) and the daemon's composition root
// (daemon/main.ts). main.ts adapts ims/registration to ImsBackend and calls startDbusService();
// daemon/dbus/ never imports ims/ directly.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';

/** Sailfish oFono's IpMultimediaSystem.Registration property. */
export type RegistrationSetting = 'auto' | 'enabled' | 'disabled';

export const REGISTRATION_SETTINGS: readonly RegistrationSetting[] = ['auto', 'enabled', 'disabled'];

export function isRegistrationSetting(value: unknown): value is RegistrationSetting {
  return typeof value === 'string' && (REGISTRATION_SETTINGS as readonly string[]).includes(value);
}

/** What org.ofono.IpMultimediaSystem shows and does; the daemon adapts ims/registration to it. */
export interface ImsBackend {
  /** the SIM's IMSI, for remembering Registration per IMSI (undefined until known) */
  readonly imsi: string | undefined;
  readonly registered: boolean;
  /** undefined until known; then the property appears */
  readonly voiceCapable: boolean | undefined;
  readonly smsCapable: boolean | undefined;
  /** emits 'change' whenever registered/voiceCapable/smsCapable/imsi changed */
  readonly events: EventEmitter;
  /** start registering (no-op when registered or registering); rejects with ImsBackendError */
  register(): Promise<void>;
  /** de-register and stay unregistered until register(); rejects with ImsBackendError */
  unregister(): Promise<void>;
}

export type ImsBackendErrorCode = 'InProgress' | 'NotAllowed' | 'NotImplemented' | 'Failed';

/** code maps to org.ofono.Error.<code> */
export class ImsBackendError extends Error {
  constructor(
    readonly code: ImsBackendErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImsBackendError';
  }
}

export interface DbusServiceOptions {
  /** bus address (unix:path=...) or 'system' */
  bus: string;
  /** 'org.imsd' (companion, default) or 'org.ofono' (standalone: also org.ofono.Manager at /) */
  busName: string;
  /** the modem object path (companion: the oFono modem's path; default '/imsd_0') */
  modemPath: string;
  ims: ImsBackend;
  /** directory for remembered settings (default /var/lib/imsd); Registration per IMSI lives here */
  stateDir: string;
  logger: Logger;
  /** modem properties for standalone org.ofono.Modem/Manager (Name, Manufacturer, Model ...) */
  modemInfo?: Record<string, string>;
}

export const DEFAULT_BUS_NAME = 'org.imsd';
export const STANDALONE_BUS_NAME = 'org.ofono';
export const DEFAULT_MODEM_PATH = '/imsd_0';
export const DEFAULT_STATE_DIR = '/var/lib/imsd';

export interface DbusService {
  readonly registrationSetting: RegistrationSetting;
  /** releases the bus name and closes the connection */
  close(): Promise<void>;
}

export type StartDbusService = (o: DbusServiceOptions) => Promise<DbusService>;

export { startDbusService } from './service.js';
