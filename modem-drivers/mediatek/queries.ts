// The queries the MediaTek driver runs about a PDN and its bearers (COMMANDS.md "IMS PDN" and
// "Dedicated bearers"): AT+EPDN "ifst" and AT+CGCONTRDP for the interface, addresses, MTU and
// P-CSCFs; AT+CGEQOSRDP and AT+CGTFTRDP for a dedicated bearer (parsed by ../at/responses.ts).
import type { Logger } from '../../daemon/log/logger.js';
import { AtParseError, parseContextDynamic, parseQosDynamic, parseTftDynamic } from '../at/responses.js';
import { describeFinal } from '../at/result-codes.js';
import type { AtResponse } from '../at/types.js';
import { ModemDriverError, type BearerInfo, type PdnInfo } from '../driver.js';
import { parseEpdn } from './pdn-lines.js';

/** runs one command on the driver's channel; `long`: one that waits for the network */
export type Run = (command: string, long?: boolean) => Promise<AtResponse>;

/**
 * AT+EPDN=<aid>,"ifst",<n> then AT+CGCONTRDP=<aid>. `ifst` 20 (16 + 4) waits for the interface and
 * any address (activation), 4 only for an address (a change); `old` gives the MTU an update keeps.
 */
export async function bindPdn(run: Run, aid: number, ifst: number, old: PdnInfo | undefined, log: Logger): Promise<PdnInfo> {
  const r = await run(`AT+EPDN=${aid},"ifst",${ifst}`, true);
  if (r.final.kind !== 'ok') throw new ModemDriverError('activateImsPdn', `AT+EPDN: ${describeFinal(r.final)}`);
  const line = r.lines.find((l) => /^\+EPDN:/i.test(l));
  if (!line) throw new ModemDriverError('activateImsPdn', 'AT+EPDN ended OK without a +EPDN line');
  let e;
  try {
    e = parseEpdn(line);
  } catch (err) {
    throw new ModemDriverError('activateImsPdn', (err as Error).message);
  }
  if (e.kind === 'err') throw new ModemDriverError('activateImsPdn', `the modem could not bind the PDN to an interface (+EPDN error ${e.error})`);
  if (e.kind !== 'new' && e.kind !== 'update') throw new ModemDriverError('activateImsPdn', `unexpected +EPDN answer "${line}"`);
  // RmcDcCommonReqHandler createDataResponse: the interface is ccmni<interface id>
  const info: PdnInfo = { interface: `ccmni${e.interfaceId}`, addresses: e.addresses, mtu: e.kind === 'new' && e.mtu > 0 ? e.mtu : (old?.mtu ?? 0), pcscf: [] };
  const rdp = await run(`AT+CGCONTRDP=${aid}`);
  if (rdp.final.kind === 'ok') {
    try {
      const d = parseContextDynamic(rdp.lines, aid);
      if (d) {
        info.pcscf = d.pcscf;
        if (info.mtu <= 0 && d.mtu) info.mtu = d.mtu;
      }
    } catch (err) {
      log.warning('+CGCONTRDP not understood; no P-CSCF from the network', { reason: (err as Error).message });
    }
  } else {
    log.warning('AT+CGCONTRDP refused; no P-CSCF from the network', { result: describeFinal(rdp.final) });
  }
  // RFC 894: Ethernet-sized when neither +EPDN nor +CGCONTRDP gives one
  if (info.mtu <= 0) info.mtu = 1500;
  return info;
}

/** QCI, bit rates and packet filters of a dedicated bearer; QCI 0 when the modem does not say */
export async function queryBearer(run: Run, cid: number, log: Logger): Promise<BearerInfo> {
  const b: BearerInfo = { id: cid, qci: 0, filters: [] };
  try {
    const q = await run(`AT+CGEQOSRDP=${cid}`);
    const qos = q.final.kind === 'ok' ? parseQosDynamic(q.lines, cid) : undefined;
    if (qos) Object.assign(b, qos);
    else log.warning('no QoS for a dedicated bearer; reporting QCI 0', { cid, result: describeFinal(q.final) });
    const t = await run(`AT+CGTFTRDP=${cid}`);
    if (t.final.kind === 'ok') b.filters = parseTftDynamic(t.lines, cid);
    else log.warning('no packet filters for a dedicated bearer', { cid, result: describeFinal(t.final) });
  } catch (e) {
    if (!(e instanceof AtParseError)) throw e;
    log.warning('bearer parameters not understood', { cid, reason: e.message });
  }
  return b;
}
