// Registration figures against the lab on the host (no IPsec; the host kernel has no ESP), as root:
//   npx tsx bench/registration.ts [runs]
// - imsd: wall time from PDN up to the 200 OK of the REGISTER (bench/registration-ue.ts, in the
//   UE namespace) and the CPU time imsd's process spends per registration (AKA + digest + SIP
//   messages + transactions; no SA install on the host: see bench/ipsec-policies.ts for that part);
// - SIPp (Debian sip-tester, its own AKA) registering against the same lab in the same run: REGISTER
//   → 401 → REGISTER → 200, its time from the first REGISTER sent to the 200 received per call (-trace_msg stamps).
// Both go UE namespace → P-CSCF → S-CSCF ↔ HSS (MAR, SAR). Figures, not pass/fail.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, up } from '../lab/core/lab.js';
import { addSubscriber } from '../lab/core/subscribers.js';
import { defaultOptions, names } from '../lab/options.js';
import { sippRegisterScenario, sippSubscriber } from './sipp-ue.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 20);
const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
// SIPp takes aka_K/aka_OP/aka_AMF byte for byte: printable values, OPc computed from OP (TS 35.206 4.1)
const SIPP = { imsi: '001010000000079', k: 'imsdbenchsippk01', op: 'imsdbenchsippop1', amf: 'ab' };

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `median ${q(0.5).toFixed(2)} ms, mean ${mean.toFixed(2)}, min ${s[0]!.toFixed(2)}, p90 ${q(0.9).toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)} (n=${s.length})`;
}

/**
 * Per call (Call-ID): from SIPp's first REGISTER sent to the 200 OK received, read from its message
 * trace (-trace_msg stamps every message with microseconds), in call order.
 */
function sippRegistrationTimes(trace: string): number[] {
  const first = new Map<string, number>();
  const out: number[] = [];
  for (const block of trace.split(/^-{20,} /m).slice(1)) {
    const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)/.exec(block)?.[1];
    const callId = /^Call-ID:\s*(\S+)/im.exec(block)?.[1];
    if (!stamp || !callId) continue;
    const t = Date.parse(stamp.replace(' ', 'T').slice(0, 23) + 'Z') + Number(`0.${stamp.split('.')[1]!.slice(3)}`);
    if (/message sent/.test(block) && !first.has(callId)) first.set(callId, t);
    if (/message received/.test(block) && /^SIP\/2\.0 200 /m.test(block) && first.has(callId)) out.push(t - first.get(callId)!);
  }
  return out;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const work = mkdtempSync(join(tmpdir(), 'imsdt-benchreg-'));
  const o = defaultOptions({ runDir: join(work, 'lab'), prefix: `br${randomBytes(3).toString('hex')}`, ipsec: 'off' });
  const n = names(o);
  try {
    await up(o, { log: () => {} });
    addSubscriber(o, sippSubscriber(SIPP, '+15550079'));
    await new Promise((r) => setTimeout(r, 1000)); // the HSS re-reads the subscribers file

    // imsd
    const cfg = JSON.stringify({ ue: o.ueV4, pcscf: o.coreV4, imsi: '001010000000001', k: K, opc: OPC, runs });
    const out = await new Promise<string>((res, rej) =>
      execFile('ip', ['netns', 'exec', n.ueNs, process.execPath, '--import', 'tsx', join(REPO, 'bench', 'registration-ue.ts'), cfg],
        { cwd: REPO, timeout: 300_000, maxBuffer: 16 << 20 }, (e, so, se) => (e ? rej(new Error(`${e.message}\n${se}`)) : res(so))),
    );
    const { samples } = JSON.parse(out.trim().split('\n').pop()!) as { samples: { wallMs: number; cpuMs: number; akaCpuMs: number }[] };

    // SIPp, same lab, same run
    const sf = join(work, 'reg.xml');
    writeFileSync(sf, sippRegisterScenario(o.domain, SIPP, { name: 'bench AKA registration', tag: 'b' }));
    let sippFailed = '';
    try {
      execFileSync('ip', ['netns', 'exec', n.ueNs, 'sipp', `${o.coreV4}:${o.pcscfPort}`, '-sf', sf, '-i', o.ueV4, '-p', '5070', '-m', String(runs + 1),
      '-l', '1', '-r', '10', '-nostdin', '-timeout', '120', '-timeout_error', '-trace_msg', '-message_file', join(work, 'sipp-msg.log'), '-trace_err', '-error_file', join(work, 'sipp-err.log')],
      { cwd: work, stdio: 'ignore', timeout: 180_000 });
    } catch {
      // a failed call (e.g. the S-CSCF's intermittent 403, see lab/core/kamailio.ts) ends SIPp with
      // exit code 1; the successful calls still count, the failures are reported
      sippFailed = readFileSync(join(work, 'sipp-err.log'), 'utf8').split('\n').filter((l) => /\d{4}-\d\d-\d\d/.test(l)).slice(0, 3).join(' | ');
    }
    const sippMs = sippRegistrationTimes(readFileSync(join(work, 'sipp-msg.log'), 'utf8')).slice(1); // first: warm-up, as for imsd

    console.log(`registration against the imsd lab (host, no IPsec), ${runs} runs each after one warm-up, ${new Date().toISOString()}`);
    console.log(`  imsd  PDN up → 200 OK processed (wall):  ${stats(samples.map((s) => s.wallMs))}`);
    console.log(`  SIPp  first REGISTER sent → 200 OK (wall): ${stats(sippMs)}`);
    console.log(`  imsd  CPU time per registration:          ${stats(samples.map((s) => s.cpuMs))}`);
    console.log(`        of which AKA (soft SIM, Milenage):   ${stats(samples.map((s) => s.akaCpuMs))}`);
    if (sippFailed) console.log(`  SIPp: ${runs + 1 - sippMs.length - 1} of ${runs + 1} calls failed: ${sippFailed.slice(0, 400)}`);
  } finally {
    await down(o, { quiet: true });
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench/registration: ${(e as Error).message}`);
  process.exit(1);
});
