// Hook for the UE side of the lab. `up` calls startUe() once the core is ready; today it starts
// nothing (tests bring their own UE: SIPp or a scripted UE). When imsd exists, start it here in
// the UE namespace (`ip netns exec <ueNs> imsd --config …` through startDaemon(), log to
// logs/imsd.log) pointed at the P-CSCF in `info`, and return its pid so `down` stops it.
import type { LabOptions } from '../options.js';

export interface UeInfo {
  ueNamespace: string;
  ueAddress: string;
  ueAddress6: string;
  pcscf: { address: string; address6: string; port: number };
  domain: string;
}

export function startUe(_o: LabOptions, _info: UeInfo): number | undefined {
  return undefined;
}
