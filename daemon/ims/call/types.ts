// The contract of the MMTel call service (TS 24.229 5.1.3/5.1.4, GSMA IR.92): what the daemon's
// composition root gives it and what it offers. The service implements the D-Bus CallBackend
// (daemon/dbus/backend.ts) directly, so VoiceCallManager needs no adapter.
import type { CallBackend } from '../../dbus/backend.js';
import type { Logger } from '../../log/logger.js';
import type { Clock } from '../../sip/clock.js';
import type { SessionTimerConfig } from '../../sip/session-timer/negotiation.js';
import type { ModemDriver } from '../../../modem-drivers/driver.js';
import type { Registration } from '../registration/service.js';

export interface StartCallServiceOptions {
  /** the registration whose protected flow carries the calls (its `sip`, `snapshot` and `onInvite`) */
  registration: Registration;
  /** the media side (startMedia/updateMedia/stopMedia/sendTones, `media` capabilities) and the bearer events */
  driver: ModemDriver;
  logger?: Logger;
  clock?: Clock;
  /** TS 24.229 5.1.2A.1.5: phone-context for numbers without '+' (default: the home domain) */
  phoneContext?: string;
  /** numbers answered NotImplemented so the dialer falls back to CS (default 112, 911) */
  emergencyNumbers?: string[];
  /** even RTP ports for the local media, inclusive (default [40000, 40998]) */
  rtpPorts?: [number, number];
  /** RFC 4028 (default: 1800 s interval, Min-SE 90) */
  sessionTimer?: SessionTimerConfig | false;
  /** RFC 3312 segmented QoS preconditions in our offers (default true, IR.92 2.4.1) */
  preconditions?: boolean;
  /** how long to wait for the local QoS (QCI=1 bearer) before giving up on a call (default 20 s) */
  qosTimeoutMs?: number;
  /** how long an active or held call outlives the loss of the voice bearer before imsd ends it (default 10 s) */
  bearerLossGraceMs?: number;
}

export interface CallService extends CallBackend {
  /** end every call (BYE/CANCEL/reject), stop their media, detach from the registration */
  close(): Promise<void>;
}

export type StartCallService = (options: StartCallServiceOptions) => CallService;
