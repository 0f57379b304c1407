// What the driver knows of an oFono modem, read from org.ofono.Modem, SimManager and
// NetworkRegistration properties (doc/modem-api.txt, sim-api.txt, network-api.txt).
import { MODEM, NETWORK_REGISTRATION, SIM_MANAGER } from './names.js';
import { eutranAccessNetworkInfo } from '../access-network.js';
import { optBoolean, optInteger, optString, optStrings, type Properties } from './properties.js';

export interface ModemState {
  path: string;
  powered: boolean;
  online: boolean;
  interfaces: string[];
  /** "hardware", "hfp", "sap", "test" (doc/modem-api.txt) */
  type: string | undefined;
}

/** SimManager: the card's IMSI and home MCC/MNC, for the composition (identities, carrier profile) */
export interface SimInfo {
  present: boolean;
  imsi?: string;
  mcc?: string;
  mnc?: string;
}

/**
 * NetworkRegistration. IMS voice over PS (VoPS, TS 24.301 9.9.3.12A) is not on oFono's D-Bus API in
 * any oFono we checked (Debian's 1.31, the ubports and rilmodem forks, the sailfishos-native mirror), so it is always "unknown" here.
 */
export interface NetworkInfo {
  /** "unregistered", "registered", "searching", "denied", "unknown", "roaming" */
  status: string;
  technology: string | undefined;
  /** registered to the home network or roaming */
  registered: boolean;
  lte: boolean;
  vops: 'unknown';
  /** the serving cell (network-api.txt): MCC/MNC of the network, LocationAreaCode (the TAC on LTE), CellId */
  mcc?: string;
  mnc?: string;
  lac?: number;
  cellId?: number;
}

export function readModem(path: string, p: Properties, operation: string, before?: ModemState): ModemState {
  const at = { operation, path, iface: MODEM };
  return {
    path,
    powered: optBoolean(p, 'Powered', at) ?? before?.powered ?? false,
    online: optBoolean(p, 'Online', at) ?? before?.online ?? false,
    interfaces: optStrings(p, 'Interfaces', at) ?? before?.interfaces ?? [],
    type: optString(p, 'Type', at) ?? before?.type,
  };
}

export function readSim(path: string, p: Properties, operation: string, before?: SimInfo): SimInfo {
  const at = { operation, path, iface: SIM_MANAGER };
  const present = optBoolean(p, 'Present', at) ?? before?.present ?? false;
  // sim-api.txt: "There are no other properties if false"
  if (!present) return { present };
  const out: SimInfo = { present };
  const imsi = optString(p, 'SubscriberIdentity', at) ?? before?.imsi;
  const mcc = optString(p, 'MobileCountryCode', at) ?? before?.mcc;
  const mnc = optString(p, 'MobileNetworkCode', at) ?? before?.mnc;
  if (imsi !== undefined) out.imsi = imsi;
  if (mcc !== undefined) out.mcc = mcc;
  if (mnc !== undefined) out.mnc = mnc;
  return out;
}

export function readNetwork(path: string, p: Properties, operation: string, before?: NetworkInfo): NetworkInfo {
  const at = { operation, path, iface: NETWORK_REGISTRATION };
  const status = optString(p, 'Status', at) ?? before?.status ?? 'unknown';
  const technology = optString(p, 'Technology', at) ?? before?.technology;
  const out: NetworkInfo = { status, technology, registered: status === 'registered' || status === 'roaming', lte: technology === 'lte', vops: 'unknown' };
  const mcc = optString(p, 'MobileCountryCode', at) ?? before?.mcc;
  const mnc = optString(p, 'MobileNetworkCode', at) ?? before?.mnc;
  const lac = optInteger(p, 'LocationAreaCode', at) ?? before?.lac;
  const cellId = optInteger(p, 'CellId', at) ?? before?.cellId;
  if (mcc !== undefined) out.mcc = mcc;
  if (mnc !== undefined) out.mnc = mnc;
  if (lac !== undefined) out.lac = lac;
  if (cellId !== undefined) out.cellId = cellId;
  return out;
}

/**
 * P-Access-Network-Info for the serving LTE cell (TS 24.229 7.2A.4); undefined when not registered
 * on LTE or a part is missing. oFono reports the TAC in LocationAreaCode on LTE (its +CEREG parsing).
 * Throws AccessNetworkError on values no cell has.
 */
export function accessNetworkInfoOf(n: NetworkInfo | undefined): string | undefined {
  if (!n?.registered || !n.lte || n.mcc === undefined || n.mnc === undefined || n.lac === undefined || n.cellId === undefined) return undefined;
  return eutranAccessNetworkInfo({ mcc: n.mcc, mnc: n.mnc, tac: n.lac, eci: n.cellId });
}
