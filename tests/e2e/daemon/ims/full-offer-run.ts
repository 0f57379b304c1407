// Runs inside User-Mode Linux for registration-full-offer-uml.test.ts: the lab with IPsec, a capture
// on the UE's veth, and imsd's registration CLI with its default (full, four-pair) sec-agree offer,
// which makes REGISTER larger than 1300 bytes and so goes over TCP (RFC 3261 18.1.1). Registers,
// notes the SAs and the chosen pair, re-registers once (a new challenge, so a new SA set on a new
// port-c, TS 33.203 7.4, its REGISTERs over TCP too), de-registers, writes <work>/full-offer.json,
// tears down.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, up } from '../../../../lab/core/lab.js';
import { run, sleep } from '../../../../lab/core/exec.js';
import { defaultOptions, names } from '../../../../lab/options.js';
import { RegistrationCli } from '../../../helpers/lab-ue/registration-cli.js';

export interface FullOfferPlan { runDir: string; prefix: string; work: string }
export interface FullOfferResult {
  ueAddress: string;
  pcscf: string;
  uePcap: string;
  ok: boolean;
  error?: string;
  states: string[];
  secAgree?: { alg: string; ealg: string };
  xfrmStatesWhileRegistered?: number;
  xfrmStatesAfterStop?: number;
  finalState?: string;
  /** wall-clock window of the full-offer registration, seconds since the epoch */
  window?: [number, number];
  /** the re-registration: states after it started, the SPIs before it and after the old set's grace */
  reregistered?: boolean;
  spisBefore?: number[];
  spisAfter?: number[];
  /** a second registration offering aes-cbc only (forces the P-CSCF to choose it) */
  aes?: { ok: boolean; error?: string; states: string[]; secAgree?: { alg: string; ealg: string }; encAlgs?: string[]; xfrmStatesAfterStop?: number; finalState?: string };
}

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

async function main(plan: FullOfferPlan): Promise<void> {
  const o = defaultOptions({ runDir: plan.runDir, prefix: plan.prefix, ipsec: 'on' });
  const n = names(o);
  const r: FullOfferResult = { ueAddress: o.ueV4, pcscf: o.coreV4, uePcap: join(plan.work, 'ue.pcap'), ok: false, states: [] };
  try {
    await up(o, { slow: true, log: (l) => console.log(l) });
    const dump = spawn('ip', ['netns', 'exec', n.ueNs, 'tcpdump', '-i', n.ueIf, '-U', '-n', '-w', r.uePcap], { stdio: 'ignore' });
    await sleep(3000);
    try {
      const start = Date.now() / 1000;
      // no "offer": the default, every pair (hmac-sha-1-96 / hmac-md5-96 × null / aes-cbc)
      const cli = new RegistrationCli({
        namespace: n.ueNs, workDir: plan.work, name: 'full-offer',
        // 20 s asked, 18 granted: the re-registration starts 9 s after the 200
        config: { pcscf: o.coreV4, ue: o.ueV4, imsi: '001010000000001', mncLength: 2, k: K, opc: OPC, secAgree: 'ipsec-3gpp', sqnStateFile: join(plan.work, 'sqn.json'), logLevel: 'debug',
          expires: 20, oldSaSetGraceMs: 2000 },
      });
      const spis = async (): Promise<number[]> => [...(await run(['ip', '-n', n.ueNs, 'xfrm', 'state', 'list'])).matchAll(/spi 0x([0-9a-f]+)/g)].map((m) => parseInt(m[1]!, 16)).sort((a, b) => a - b);
      try {
        const reg = await cli.waitFor((s) => s.state === 'registered', 60_000);
        r.secAgree = reg.secAgree as { alg: string; ealg: string } | undefined;
        await sleep(3000);
        r.xfrmStatesWhileRegistered = (await run(['ip', '-n', n.ueNs, 'xfrm', 'state', 'list'])).split('\n').filter((l) => l.startsWith('src ')).length;
        r.spisBefore = await spis();
        const from = cli.states.length;
        await cli.waitFor((s) => s.state === 'reregistering', 30_000, from);
        await cli.waitFor((s) => s.state === 'registered', 60_000, from);
        r.reregistered = true;
        await sleep(2000 + 1500);
        r.spisAfter = await spis();
        await cli.stop();
        r.finalState = cli.stateNames.at(-1);
        r.xfrmStatesAfterStop = (await run(['ip', '-n', n.ueNs, 'xfrm', 'state', 'list'])).split('\n').filter((l) => l.startsWith('src ')).length;
        r.window = [start, Date.now() / 1000];
        r.ok = true;
      } catch (e) {
        r.error = (e as Error).message;
        await cli.stop();
      } finally {
        r.states = cli.stateNames;
      }
      // a forced aes-cbc choice: the UE offers aes-cbc only
      const aes: NonNullable<FullOfferResult['aes']> = { ok: false, states: [] };
      r.aes = aes;
      const cli2 = new RegistrationCli({
        namespace: n.ueNs, workDir: plan.work, name: 'aes-cbc',
        config: { pcscf: o.coreV4, ue: o.ueV4, imsi: '001010000000002', mncLength: 2, k: K, opc: OPC, secAgree: 'ipsec-3gpp', sqnStateFile: join(plan.work, 'sqn2.json'), logLevel: 'debug',
          offer: [{ alg: 'hmac-sha-1-96', ealg: 'aes-cbc' }, { alg: 'hmac-md5-96', ealg: 'aes-cbc' }] },
      });
      try {
        const reg = await cli2.waitFor((s) => s.state === 'registered', 60_000);
        aes.secAgree = reg.secAgree as { alg: string; ealg: string } | undefined;
        await sleep(3000);
        aes.encAlgs = [...(await run(['ip', '-n', n.ueNs, 'xfrm', 'state', 'list'])).matchAll(/enc (\S+)/g)].map((m) => m[1]!);
        await cli2.stop();
        aes.finalState = cli2.stateNames.at(-1);
        aes.xfrmStatesAfterStop = (await run(['ip', '-n', n.ueNs, 'xfrm', 'state', 'list'])).split('\n').filter((l) => l.startsWith('src ')).length;
        aes.ok = true;
      } catch (e) {
        aes.error = (e as Error).message;
        await cli2.stop();
      } finally {
        aes.states = cli2.stateNames;
      }
    } finally {
      await sleep(2000);
      dump.kill('SIGINT');
      await new Promise((res) => dump.once('exit', res));
    }
  } catch (e) {
    r.error = (e as Error).message;
  } finally {
    writeFileSync(join(plan.work, 'full-offer.json'), JSON.stringify(r, null, 2));
    await down(o, { keepRunDir: true, quiet: true });
  }
}

if (process.argv[1]?.endsWith('full-offer-run.ts') && process.argv[2]) {
  main(JSON.parse(readFileSync(process.argv[2], 'utf8')) as FullOfferPlan).then(
    () => process.exit(0),
    (e: unknown) => {
      console.log(`full-offer-run failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
