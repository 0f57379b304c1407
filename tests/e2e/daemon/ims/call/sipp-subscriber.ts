// SIPp as a second lab subscriber (+15550081) in the UE namespace: added to the lab's HSS and
// registered by SIPp's own IMS AKA (./sipp/register.xml), so that a scenario on the same port can
// answer calls routed to it by the S-CSCF. Each lab has its own HSS, so every lab adds it anew.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeOpc } from '../../../../../daemon/auth/milenage.js';
import { addSubscriber } from '../../../../../lab/core/subscribers.js';
import { names, type LabOptions } from '../../../../../lab/options.js';
import { runUntilNoSippAkaDefect, sippAkaDefectProven } from '../../../../helpers/sipp-runner.js';
import { sippIn } from './sipp-peer.js';

// SIPp takes aka_K / aka_OP / aka_AMF byte for byte (tests/e2e/lab/sipp-call.test.ts): printable
// values here, hex for the HSS with OPc = AES-128_K(OP) xor OP (TS 35.206 4.1)
const SIPP_K = 'imsdlabsippkey81';
const SIPP_OP = 'imsdlabsippop081';
const SIPP_AMF = 'ab';
const SIPP_IMSI = '001010000000081';
export const SIPP_MSISDN = '+15550081';
/** the port SIPp registers from, and so where its UAS scenarios must listen */
export const SIPP_PORT = 5070;

/** adds SIPp's subscriber, waits for the HSS to take it, registers it; resolves once registered */
export async function registerSipp(o: LabOptions, workDir: string): Promise<void> {
  const hssLog = join(names(o).logDir, 'hss.log');
  const reloads = (): number => (readFileSync(hssLog, 'utf8').match(/subscribers: reloaded/g) ?? []).length;
  const before = reloads();
  const k = Buffer.from(SIPP_K);
  addSubscriber(o, { imsi: SIPP_IMSI, msisdn: SIPP_MSISDN, k: k.toString('hex'), opc: computeOpc(k, Buffer.from(SIPP_OP)).toString('hex'), amf: Buffer.from(SIPP_AMF).toString('hex') });
  for (let i = 0; i < 100 && reloads() === before; i++) await new Promise((r) => setTimeout(r, 100));
  const vars = { IMSI: SIPP_IMSI, DOMAIN: o.domain, AKA_K: SIPP_K, AKA_OP: SIPP_OP, AKA_AMF: SIPP_AMF };
  // SIPp 3.6.1 answers ~3 % of challenges wrongly (RES cut at a zero byte): a run proven to have
  // met that is run again (tests/helpers/sipp-runner.ts); any other failure is a failure
  const secrets = { k, op: Buffer.from(SIPP_OP), amf: Buffer.from(SIPP_AMF) };
  const reg = await runUntilNoSippAkaDefect(
    (attempt) => sippIn({ namespace: names(o).ueNs, scenario: 'register.xml', vars, local: o.ueV4, port: SIPP_PORT, target: `${o.coreV4}:5060`, workDir, name: `sipp-register-${attempt}` }).done,
    (r) => r.code !== 0 && sippAkaDefectProven(secrets, { errors: r.errors, trace: r.messages }),
    { name: 'register' },
  );
  if (reg.code !== 0) throw new Error(`SIPp could not register: ${reg.errors.slice(0, 800)}`);
}
