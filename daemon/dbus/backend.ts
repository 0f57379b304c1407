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

/** oFono voicecall-api.txt State */
export type CallState = 'active' | 'held' | 'dialing' | 'alerting' | 'incoming' | 'waiting' | 'disconnected';
export type DisconnectReason = 'local' | 'remote' | 'network';
/** VoiceCallManager.Dial's hide_callerid ("" is oFono's default) */
export type HideCallerId = '' | 'default' | 'enabled' | 'disabled';

/** One call as the VoiceCall object shows it; the backend hands out a fresh copy on every event. */
export interface CallInfo {
  /** the backend's id for the call, stable for its life (the D-Bus path is chosen by daemon/dbus) */
  id: string;
  direction: 'outgoing' | 'incoming';
  state: CallState;
  /** the remote number (tel: digits or SIP user), or "withheld" when hidden (Privacy: id, no identity) */
  lineIdentification: string;
  /** display name from P-Asserted-Identity / From, "" when none */
  name: string;
  /** the far end put us on hold (a=sendonly / a=inactive from them) */
  remoteHeld: boolean;
  /** ISO 8601 time the call became active */
  startTime?: string;
  emergency: boolean;
  /** the network sends early media (ringback/announcements, RFC 5009 P-Early-Media): the dialer should not play its own ringback */
  earlyMedia: boolean;
  /** set once state is 'disconnected' */
  disconnectReason?: DisconnectReason;
  /** a human-readable reason, e.g. "486 Busy Here", for logs and the Information property */
  information?: string;
}

export interface CallBackendEvents {
  added: (call: CallInfo) => void;
  /** any field of the call changed */
  changed: (call: CallInfo) => void;
  /** the call is over (state 'disconnected' with disconnectReason); it is no longer in `calls` */
  removed: (call: CallInfo) => void;
}

/** maps to org.ofono.Error.<code> */
export type CallBackendErrorCode = 'InvalidFormat' | 'InvalidArguments' | 'NotImplemented' | 'NotAllowed' | 'InProgress' | 'NotFound' | 'Failed';

export class CallBackendError extends Error {
  constructor(
    readonly code: CallBackendErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CallBackendError';
  }
}

/** What org.ofono.VoiceCallManager / org.ofono.VoiceCall do; the daemon adapts ims/call to it. */
export interface CallBackend {
  /** emits CallBackendEvents */
  readonly events: EventEmitter;
  readonly calls: CallInfo[];
  readonly emergencyNumbers: string[];
  /** resolves with the new call (state 'dialing') once the INVITE is on its way; an emergency number rejects NotImplemented */
  dial(number: string, hideCallerId: HideCallerId): Promise<CallInfo>;
  /** answer an incoming (or waiting) call */
  answer(id: string): Promise<void>;
  /** incoming: reject (603); dialing/alerting: cancel; active/held: BYE */
  hangup(id: string): Promise<void>;
  hangupAll(): Promise<void>;
  /** hold the active call and answer the waiting one */
  holdAndAnswer(): Promise<void>;
  /** release the active call and answer the waiting (or resume the held) one */
  releaseAndAnswer(): Promise<void>;
  /** swap the active and held calls */
  swapCalls(): Promise<void>;
  /** DTMF on the active call (RFC 4733 via the media side, or SIP INFO) */
  sendTones(tones: string): Promise<void>;
}

export interface DbusServiceOptions {
  /** bus address (unix:path=...) or 'system' */
  bus: string;
  /** 'org.imsd' (companion, default) or 'org.ofono' (standalone: also org.ofono.Manager at /) */
  busName: string;
  /** the modem object path (companion: the oFono modem's path; default '/imsd_0') */
  modemPath: string;
  ims: ImsBackend;
  /** the calls behind VoiceCallManager; without it every call method answers NotImplemented */
  calls?: CallBackend;
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
