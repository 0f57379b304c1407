// SIPp (Debian sip-tester) as a far end that speaks QoS preconditions (baresip does not): a second
// lab subscriber, added to the HSS, registered by SIPp's own IMS AKA (the register scenario of the
// daemon's call tests), then a UAS scenario from ./sipp on the same port. Runs in the UE namespace.
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addSubscriber } from '../../../../lab/core/subscribers.js';
import { names, type LabOptions } from '../../../../lab/options.js';
import { sippIn } from '../../daemon/ims/call/sipp-peer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// SIPp takes aka_K / aka_OP / aka_AMF byte for byte: printable values here, hex for the HSS (the
// subscriber the daemon's host call test registers with SIPp; each lab has its own HSS)
const SIPP_K = 'imsdlabsippkey81';
const SIPP_OP = 'imsdlabsippop081';
const SIPP_AMF = 'ab';
const SIPP_IMSI = '001010000000081';
export const SIPP_MSISDN = '+15550081';
const PORT = 5070;

/** TS 35.206 4.1: OPc = AES-128_K(OP) xor OP */
function opcOf(k: Buffer, op: Buffer): Buffer {
  const c = createCipheriv('aes-128-ecb', k, null);
  c.setAutoPadding(false);
  const e = Buffer.concat([c.update(op), c.final()]);
  return Buffer.from(e.map((b, i) => b ^ op[i]!));
}

export interface SippUas {
  done: Promise<{ code: number | null; errors: string; messages: string }>;
  kill(): void;
}

/** adds SIPp's subscriber, waits for the HSS to take it, registers it; resolves once registered */
export async function registerSipp(o: LabOptions, workDir: string): Promise<void> {
  const hssLog = join(names(o).logDir, 'hss.log');
  const reloads = (): number => (readFileSync(hssLog, 'utf8').match(/subscribers: reloaded/g) ?? []).length;
  const before = reloads();
  const k = Buffer.from(SIPP_K);
  addSubscriber(o, { imsi: SIPP_IMSI, msisdn: SIPP_MSISDN, k: k.toString('hex'), opc: opcOf(k, Buffer.from(SIPP_OP)).toString('hex'), amf: Buffer.from(SIPP_AMF).toString('hex') });
  for (let i = 0; i < 100 && reloads() === before; i++) await new Promise((r) => setTimeout(r, 100));
  const vars = { IMSI: SIPP_IMSI, DOMAIN: o.domain, AKA_K: SIPP_K, AKA_OP: SIPP_OP, AKA_AMF: SIPP_AMF };
  const reg = await sippIn({ namespace: names(o).ueNs, scenario: 'register.xml', vars, local: o.ueV4, port: PORT, target: `${o.coreV4}:5060`, workDir, name: 'sipp-register' }).done;
  if (reg.code !== 0) throw new Error(`SIPp could not register: ${reg.errors.slice(0, 800)}`);
}

/** SIPp answering one call with the scenario ./sipp/<scenario> on the registered port */
export function sippUas(o: LabOptions, workDir: string, scenario: string, timeoutS = 30): SippUas {
  const dir = join(workDir, 'sipp-uas');
  mkdirSync(dir, { recursive: true });
  const errors = join(dir, 'errors.log');
  const messages = join(dir, 'messages.log');
  const argv = ['netns', 'exec', names(o).ueNs, 'sipp', '-sf', join(HERE, 'sipp', scenario), '-i', o.ueV4, '-p', String(PORT), '-t', 'u1', '-m', '1', '-nostdin',
    '-timeout', `${timeoutS}s`, '-timeout_error', '-trace_err', '-error_file', errors, '-trace_msg', '-message_file', messages];
  const child = spawn('ip', argv, { cwd: dir, stdio: 'ignore' });
  const done = new Promise<{ code: number | null; errors: string; messages: string }>((res) =>
    child.on('exit', (code) => res({
      code,
      errors: existsSync(errors) ? readFileSync(errors, 'utf8') : '',
      messages: existsSync(messages) ? readFileSync(messages, 'utf8') : '',
    })),
  );
  return { done, kill: () => void child.kill('SIGKILL') };
}
