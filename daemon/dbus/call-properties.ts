// A CallInfo from the CallBackend as org.ofono.VoiceCall's properties (oFono doc/voicecall-api.txt,
// src/voicecall.c append_voicecall_properties). The key order is the order of PropertyChanged
// signals for one change: State before StartTime, as oFono sends them when a call becomes active.
import type { CallInfo, CallState } from './backend.js';
import type { PropertyMap } from './properties.js';

export interface CallProperties extends PropertyMap {
  LineIdentification: string;
  IncomingLine?: string;
  Name: string;
  Multiparty: boolean;
  State: CallState;
  StartTime?: string;
  Information?: string;
  Icon?: number;
  Emergency: boolean;
  RemoteHeld: boolean;
  RemoteMultiparty: boolean;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * oFono's time stamp: strftime("%Y-%m-%dT%H:%M:%S%z") in local time (src/voicecall.c time_to_str),
 * e.g. 2026-11-23T19:00:00+0100. A value that is not a time is shown as it came.
 */
export function ofonoTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const offset = -t.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}` +
    `T${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}` +
    `${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  );
}

/** imsd has no multiparty calls, no SIM Toolkit icons and no called-line identity yet */
export function callProperties(info: CallInfo): CallProperties {
  return {
    LineIdentification: info.lineIdentification,
    Name: info.name,
    Multiparty: false,
    State: info.state,
    StartTime: info.startTime === undefined ? undefined : ofonoTime(info.startTime),
    Information: info.information || undefined,
    Emergency: info.emergency,
    RemoteHeld: info.remoteHeld,
    RemoteMultiparty: false,
  };
}
