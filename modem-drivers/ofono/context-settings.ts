// The IMS PDN as an oFono ConnectionContext describes it (doc/connman-api.txt): Settings (IPv4) and
// IPv6.Settings carry Interface, Address, Gateway and DomainNameServers. No oFono we checked
// (Debian's 1.31, the ubports and rilmodem forks, the sailfishos-native mirror) puts the P-CSCF or
// the MTU on D-Bus even when the modem reports them; the keys `ProxyCSCF` / `PcscfAddresses` and `MTU` are read where a
// build adds them. Without an MTU key the interface's own MTU is used (the modem sets it from the
// PCO IPv4 Link MTU, TS 24.008 10.5.6.3), else 1500.
import { isIP } from 'node:net';
import type { PdnInfo } from '../driver.js';
import { CONNECTION_CONTEXT } from './names.js';
import { OfonoPropertyError, optDictionary, optInteger, optString, optStrings, type Properties } from './properties.js';

/** Everything the context's settings say, PdnInfo plus what imsd does not use yet. */
export interface ContextSettings {
  pdn: PdnInfo;
  gateways: string[];
  dns: string[];
}

const PCSCF_KEYS = ['ProxyCSCF', 'PcscfAddresses'] as const;

/** mtu of a network interface, undefined when unknown */
export type InterfaceMtu = (name: string) => number | undefined;

function stringOrList(p: Properties, key: string, at: { operation: string; path: string; iface: string }): string[] {
  const v = p[key];
  if (v === undefined) return [];
  if (v.signature === 's') return [optString(p, key, at)!];
  return optStrings(p, key, at) ?? [];
}

/** PdnInfo of an active context, or an OfonoPropertyError saying what is missing or wrong. */
export function readContextSettings(path: string, context: Properties, interfaceMtu: InterfaceMtu, operation = 'read IMS context'): ContextSettings {
  const at = { operation, path, iface: CONNECTION_CONTEXT };
  const v4 = optDictionary(context, 'Settings', at) ?? {};
  const v6 = optDictionary(context, 'IPv6.Settings', at) ?? {};
  const fail = (key: string, reason: string): never => {
    throw new OfonoPropertyError(operation, path, CONNECTION_CONTEXT, key, reason);
  };
  const if4 = optString(v4, 'Interface', at);
  const if6 = optString(v6, 'Interface', at);
  const iface = if4 ?? if6;
  if (!iface) fail('Settings', 'has no Interface (neither in Settings nor in IPv6.Settings)');
  if (if4 && if6 && if4 !== if6) fail('IPv6.Settings', `names interface ${if6}, Settings names ${if4}`);
  const addresses: string[] = [];
  const a4 = optString(v4, 'Address', at);
  if (a4 !== undefined) {
    if (isIP(a4) !== 4) fail('Settings', `Address "${a4}" is not an IPv4 address`);
    addresses.push(a4);
  }
  const a6 = optString(v6, 'Address', at);
  if (a6 !== undefined) {
    if (isIP(a6) !== 6) fail('IPv6.Settings', `Address "${a6}" is not an IPv6 address`);
    addresses.push(a6);
  }
  if (addresses.length === 0) fail('Settings', 'has no Address (neither in Settings nor in IPv6.Settings)');
  const pcscf: string[] = [];
  for (const [dict, name] of [[v4, 'Settings'], [v6, 'IPv6.Settings']] as const) {
    for (const key of PCSCF_KEYS) {
      for (const a of stringOrList(dict, key, at)) {
        if (isIP(a) === 0) fail(name, `${key} "${a}" is not an IP address`);
        if (!pcscf.includes(a)) pcscf.push(a);
      }
    }
  }
  const mtuKey = optInteger(v4, 'MTU', at) ?? optInteger(v6, 'MTU', at);
  // RFC 791 / RFC 8200: 68 is the IPv4 minimum, 1280 the IPv6 one; below 68 is not an MTU
  if (mtuKey !== undefined && (mtuKey < 68 || mtuKey > 65535)) fail('Settings', `MTU ${mtuKey} is out of range`);
  const mtu = mtuKey ?? interfaceMtu(iface!) ?? 1500;
  const gateways = [optString(v4, 'Gateway', at), optString(v6, 'Gateway', at)].filter((g): g is string => g !== undefined && g !== '');
  const dns = [...(optStrings(v4, 'DomainNameServers', at) ?? []), ...(optStrings(v6, 'DomainNameServers', at) ?? [])];
  return { pdn: { interface: iface!, addresses, mtu, pcscf }, gateways, dns };
}
