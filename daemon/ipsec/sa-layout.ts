// Which SAs and policies a sec-agree set needs (TS 33.203 7.1), as pure data: the manager sends
// them, the tests read them. Four transport-mode ESP SAs, each with one policy per transport
// (UDP and TCP): outbound policies on the UE's sending side, inbound ones so that the UE accepts
// on its protected ports only what came over the SA.
import { isIP } from 'node:net';
import { IPPROTO_TCP, IPPROTO_UDP } from './xfrm/constants.js';
import type { NewPolicy } from './xfrm/policy.js';
import type { SaId } from './xfrm/state.js';
import { IpsecInputError, type SecurityEndpoint } from './types.js';

/** reqids of imsd's SAs and policies: 0x494dxxxx ("IM"); removeStale() recognises them by this. */
export const REQID_MARK = 0x494d0000;
export const REQID_MASK = 0xffff0000;
export const isOurReqid = (reqid: number): boolean => ((reqid & REQID_MASK) >>> 0) === REQID_MARK;
/** four reqids per set: slot * 4 + 0..3 */
export const SLOTS = 0x4000;
export const reqidOf = (slot: number, k: number): number => (REQID_MARK | (((slot % SLOTS) * 4 + k) & 0xffff)) >>> 0;

export interface PlannedSa extends SaId {
  reqid: number;
  direction: 'out' | 'in';
  sport: number;
  dport: number;
}

export interface SaPlan {
  sas: PlannedSa[];
  policies: NewPolicy[];
}

function checkEndpoint(name: string, e: SecurityEndpoint): void {
  if (!e || typeof e.address !== 'string' || isIP(e.address) === 0) throw new IpsecInputError(`${name} address is not an IP address`);
  for (const p of ['portC', 'portS'] as const) {
    if (!Number.isInteger(e[p]) || e[p] < 1 || e[p] > 65535) throw new IpsecInputError(`${name} ${p} ${String(e[p])} is not a port`);
  }
  for (const s of ['spiC', 'spiS'] as const) {
    // RFC 4303 2.1: SPI values 1..255 are reserved by IANA, 0 is local use only
    if (!Number.isInteger(e[s]) || e[s] < 256 || e[s] > 0xffffffff) throw new IpsecInputError(`${name} ${s} ${String(e[s])} is not a usable SPI`);
  }
}

export function planSaSet(ue: SecurityEndpoint, pcscf: SecurityEndpoint, slot: number): SaPlan {
  checkEndpoint('UE', ue);
  checkEndpoint('P-CSCF', pcscf);
  if (isIP(ue.address) !== isIP(pcscf.address)) throw new IpsecInputError('UE and P-CSCF addresses are of different IP versions');
  const out = (spi: number, sport: number, dport: number, k: number): PlannedSa => ({
    src: ue.address, dst: pcscf.address, spi, sport, dport, reqid: reqidOf(slot, k), direction: 'out',
  });
  const inb = (spi: number, sport: number, dport: number, k: number): PlannedSa => ({
    src: pcscf.address, dst: ue.address, spi, sport, dport, reqid: reqidOf(slot, k), direction: 'in',
  });
  // TS 33.203 7.1: each SA uses the SPI its receiver chose
  const sas = [
    out(pcscf.spiS, ue.portC, pcscf.portS, 0), // UE port-c -> P-CSCF port-s
    out(pcscf.spiC, ue.portS, pcscf.portC, 1), // UE port-s -> P-CSCF port-c
    inb(ue.spiS, pcscf.portC, ue.portS, 2), // P-CSCF port-c -> UE port-s
    inb(ue.spiC, pcscf.portS, ue.portC, 3), // P-CSCF port-s -> UE port-c
  ];
  const policies: NewPolicy[] = [];
  for (const sa of sas) {
    for (const proto of [IPPROTO_UDP, IPPROTO_TCP]) {
      policies.push({
        selector: { src: sa.src, dst: sa.dst, proto, sport: sa.sport, dport: sa.dport },
        dir: sa.direction,
        tmpl: { src: sa.src, dst: sa.dst, reqid: sa.reqid },
      });
    }
  }
  return { sas, policies };
}
