// SIPp (Debian sip-tester) as a far end that speaks QoS preconditions (baresip does not): a second
// lab subscriber, added to the HSS, registered by SIPp's own IMS AKA (the register scenario of the
// daemon's call tests), then the daemon's call tests' UAS scenario with preconditions, without its session timer, on the same port. Runs in the UE namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeOpc } from '../../../../daemon/auth/milenage.js';
import { addSubscriber } from '../../../../lab/core/subscribers.js';
import { names, type LabOptions } from '../../../../lab/options.js';
import { sippIn, type SippPeerRun } from '../../daemon/ims/call/sipp-peer.js';

// SIPp takes aka_K / aka_OP / aka_AMF byte for byte: printable values here, hex for the HSS (the
// subscriber the daemon's host call test registers with SIPp; each lab has its own HSS)
const SIPP_K = 'imsdlabsippkey81';
const SIPP_OP = 'imsdlabsippop081';
const SIPP_AMF = 'ab';
const SIPP_IMSI = '001010000000081';
export const SIPP_MSISDN = '+15550081';
const PORT = 5070;


export type SippUas = SippPeerRun;

/** adds SIPp's subscriber, waits for the HSS to take it, registers it; resolves once registered */
export async function registerSipp(o: LabOptions, workDir: string): Promise<void> {
  const hssLog = join(names(o).logDir, 'hss.log');
  const reloads = (): number => (readFileSync(hssLog, 'utf8').match(/subscribers: reloaded/g) ?? []).length;
  const before = reloads();
  const k = Buffer.from(SIPP_K);
  addSubscriber(o, { imsi: SIPP_IMSI, msisdn: SIPP_MSISDN, k: k.toString('hex'), opc: computeOpc(k, Buffer.from(SIPP_OP)).toString('hex'), amf: Buffer.from(SIPP_AMF).toString('hex') });
  for (let i = 0; i < 100 && reloads() === before; i++) await new Promise((r) => setTimeout(r, 100));
  const vars = { IMSI: SIPP_IMSI, DOMAIN: o.domain, AKA_K: SIPP_K, AKA_OP: SIPP_OP, AKA_AMF: SIPP_AMF };
  const reg = await sippIn({ namespace: names(o).ueNs, scenario: 'register.xml', vars, local: o.ueV4, port: PORT, target: `${o.coreV4}:5060`, workDir, name: 'sipp-register' }).done;
  if (reg.code !== 0) throw new Error(`SIPp could not register: ${reg.errors.slice(0, 800)}`);
}

/**
 * The daemon's call tests' far end with preconditions (../../daemon/ims/call/sipp/uas-preconditions.xml)
 * without its session-timer part: no Session-Expires in the 200, no refresh UPDATE awaited.
 */
export function withoutSessionTimer(scenario: string): string {
  const out = scenario
    .replace(/^ *Supported: timer\n *Require: timer\n *Session-Expires: 90;refresher=uac\n/m, '')
    .replace(/ *<recv request="UPDATE" timeout="60000">\n *<action>\n *<ereg regexp="\[0-9\]\+;refresher=uac"[\s\S]*?<\/send>\n/, '');
  if (/Session-Expires|timer/.test(out.slice(out.indexOf('<scenario')))) throw new Error('uas-preconditions.xml changed: its session-timer part is no longer where withoutSessionTimer looks');
  return out;
}

/** SIPp answering one call with preconditions (and no session timer) on the registered port */
export function sippUas(o: LabOptions, workDir: string, timeoutS = 30): SippUas {
  return sippIn({ namespace: names(o).ueNs, scenario: 'uas-preconditions.xml', vars: {}, local: o.ueV4, port: PORT, workDir, name: 'sipp-uas', timeoutS, edit: withoutSessionTimer });
}
