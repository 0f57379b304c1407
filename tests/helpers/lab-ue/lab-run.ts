// Scenarios of imsd's registration CLI against a lab, run where the lab runs: on the host (no
// IPsec) or inside User-Mode Linux (ESP). `tsx lab-run.ts <plan.json>` brings the lab up, captures
// on the UE's veth, runs each scenario, writes <work>/result.json, and tears everything down even
// when a scenario fails. The host side (the test) reads result.json and the pcaps.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, up } from '../../../lab/core/lab.js';
import { run, sleep } from '../../../lab/core/exec.js';
import { networkDeregister } from '../../../lab/core/network-deregistration.js';
import { addSubscriber, readSubscribers, setSubscriberSqn } from '../../../lab/core/subscribers.js';
import { defaultOptions, FAILURE_TEST_USERS, names, type LabOptions } from '../../../lab/options.js';
import { RegistrationCli } from './registration-cli.js';

export interface LabRunPlan {
  runDir: string;
  prefix: string;
  work: string;
  ipsec: boolean;
  /** Inside UML: slower Kamailio tuning and longer timeouts. */
  slow: boolean;
  scenarios: ScenarioName[];
}

/**
 * register, resync, dead-pcscf: must end registered. no-security-server (a lab without sec-agree,
 * the UE asking for it), unsupported-algorithms (the lab's P-CSCF offers an algorithm set nobody
 * supports): must fail before any SA exists. malformed-reginfo: registered, then a NOTIFY whose
 * reginfo is broken; must stay registered. reregister: a short registration, refreshed at half
 * of it (TS 24.229 5.1.1.4.1), with a new challenge and (with IPsec) a new SA set. ni-deactivated,
 * ni-rejected: registered, then the lab's network-initiated de-registration NOTIFY (TS 24.229
 * 5.1.1.7: "deactivated" → register again, "rejected" → do not).
 */
export type ScenarioName = 'ni-deactivated' | 'ni-rejected' | 'reregister' | 'register' | 'resync' | 'dead-pcscf' | 'no-security-server' | 'unsupported-algorithms' | 'malformed-reginfo';

export interface ScenarioResult {
  name: string;
  ok: boolean;
  error?: string;
  states: string[];
  /** ms from CLI start to 'registered' (process start included). */
  registeredMs?: number;
  /** Wall-clock window of this scenario, seconds since the epoch (for the pcap check). */
  window: [number, number];
  xfrmStatesWhileRegistered?: number;
  xfrmStatesAfterStop?: number;
  xfrmPoliciesAfterStop?: number;
  exitCode?: number | null;
  pcscf?: { address: string; port: number };
  lastFailure?: unknown;
  hssResync?: boolean;
  finalState?: string;
  /** failure scenarios: the snapshot that reported the failure */
  failure?: { state: string; lastFailure?: unknown };
  /** malformed-reginfo: states published after the broken NOTIFY arrived */
  statesAfterNotify?: string[];
  /** ni-*: the UE's answer to the NOTIFY and the states after it */
  notifyAnswer?: string;
  statesAfterDereg?: { state: string; lastFailure?: unknown }[];
  /** reregister: granted expiry, ms from registered to registered again, SPIs before and after */
  grantedExpires?: number;
  reregisteredAfterMs?: number;
  spisBefore?: number[];
  spisAfter?: number[];
  /** reregister with IPsec: the most SAs seen while re-registering, and the SAs right after the 200 */
  xfrmStatesDuringExchange?: number;
  spisRightAfter?: number[];
  /** ni-deactivated with IPsec: the SAs once registered again */
  spisReregistered?: number[];
  /** lines of the CLI log about NOTIFYs and XML */
  reginfoLog?: string[];
  /** the lab's P-CSCF logged that it broke this user's NOTIFY body */
  pcscfMangledNotify?: boolean;
}

export interface LabRunResult {
  ueAddress: string;
  pcscf: string;
  deadPcscf: string;
  uePcap: string;
  corePcap: string;
  logDir: string;
  readyMs?: number;
  scenarios: ScenarioResult[];
}

/**
 * reregister's own subscriber: the S-CSCF keeps the reg-event subscriptions of the earlier
 * scenarios' (gone) UEs of an IMPU and NOTIFYs them when it registers again; the lab's P-CSCF has
 * removed their SAs by then, so those NOTIFYs would cross this scenario's capture in clear
 */
const REREGISTER_USER = { imsi: '001010000000064', msisdn: '+15550064' };

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

async function xfrmSpis(ns: string): Promise<number[]> {
  const out = await run(['ip', '-n', ns, 'xfrm', 'state', 'list']);
  return [...out.matchAll(/spi 0x([0-9a-f]+)/g)].map((m) => parseInt(m[1]!, 16)).sort((a, b) => a - b);
}

async function xfrmCount(ns: string, what: 'state' | 'policy'): Promise<number> {
  const out = await run(['ip', '-n', ns, 'xfrm', what, 'list']);
  return out.split('\n').filter((l) => /^src /.test(l)).length;
}

async function runScenario(name: string, o: LabOptions, plan: LabRunPlan): Promise<ScenarioResult> {
  const n = names(o);
  const t = plan.slow ? 6 : 1;
  const imsi = {
    'ni-deactivated': '001010000000002', 'ni-rejected': '001010000000003',
    register: '001010000000001', reregister: REREGISTER_USER.imsi, resync: '001010000000002', 'dead-pcscf': '001010000000003',
    'no-security-server': '001010000000001', 'unsupported-algorithms': FAILURE_TEST_USERS.unsupportedAlgorithms.imsi,
    'malformed-reginfo': FAILURE_TEST_USERS.malformedReginfo.imsi,
  }[name] ?? '001010000000001';
  const wantsSecAgree = plan.ipsec || name === 'no-security-server' || name === 'unsupported-algorithms';
  const config: Record<string, unknown> = {
    pcscf: o.coreV4, ue: o.ueV4, imsi, mncLength: 2, k: K, opc: OPC, secAgree: wantsSecAgree ? 'ipsec-3gpp' : 'none',
    sqnStateFile: join(plan.work, `sqn-${name}.json`), logLevel: 'debug',
    // One pair with null encryption: tshark can read the SIP inside ESP, and the REGISTER stays
    // under MTU - 200 bytes, so on UDP (RFC 3261 18.1.1). The full offer, over TCP and with
    // aes-cbc, has its own test (registration-full-offer-uml.test.ts).
    ...(wantsSecAgree ? { offer: [{ alg: 'hmac-sha-1-96', ealg: 'null' }] } : {}),
  };
  const r: ScenarioResult = { name, ok: false, states: [], window: [Date.now() / 1000, 0] };
  let hssLogBefore = 0;
  if (name === 'resync') {
    // far ahead of the fresh SIM (SEQ beyond delta 2^28): the SIM answers with AUTS (TS 33.102 6.3.5)
    const reloadsBefore = hssReloads(n.logDir);
    setSubscriberSqn(o, imsi, '7ffff0000021');
    for (let i = 0; i < 100 && hssReloads(n.logDir) === reloadsBefore; i++) await sleep(100);
    hssLogBefore = readFileSync(join(n.logDir, 'hss.log'), 'utf8').length;
  }
  if (name === 'reregister') {
    config.expires = plan.slow ? 20 : 10;
    // the replaced SA set stays this long for its transactions (TS 33.203 7.4; default 32 s)
    config.oldSaSetGraceMs = plan.slow ? 4000 : 1000;
  }
  if (name === 'dead-pcscf') {
    Object.assign(config, { pcscf: [o.deadPcscfV4, o.coreV4], t1Ms: 100, backoffBaseSeconds: 0.5, backoffMaxSeconds: 1 });
  }
  if (name === 'unsupported-algorithms' || name === 'malformed-reginfo' || name === 'reregister') {
    const u = name === 'unsupported-algorithms' ? FAILURE_TEST_USERS.unsupportedAlgorithms : name === 'reregister' ? REREGISTER_USER : FAILURE_TEST_USERS.malformedReginfo;
    const reloadsBefore = hssReloads(n.logDir);
    addSubscriber(o, { imsi: u.imsi, msisdn: u.msisdn, k: K, opc: OPC, amf: '8000' });
    for (let i = 0; i < 100 && hssReloads(n.logDir) === reloadsBefore; i++) await sleep(100);
  }
  const cli = new RegistrationCli({ namespace: n.ueNs, config, workDir: plan.work, name });
  if (name === 'no-security-server' || name === 'unsupported-algorithms') {
    try {
      const f = await cli.waitFor((s) => s.lastFailure !== undefined && s.state !== 'registered', 30_000 * t);
      r.failure = { state: f.state, lastFailure: f.lastFailure };
      await sleep(500 * t);
      r.xfrmStatesWhileRegistered = await xfrmCount(n.ueNs, 'state');
      await stopAndCount(r, cli, n.ueNs, t);
    } catch (e) {
      r.error = (e as Error).message;
      await cli.stop(5_000);
    }
    return closeResult(r, cli);
  }
  try {
    const reg = await cli.waitFor((s) => s.state === 'registered', 60_000 * t);
    r.registeredMs = reg.at - cli.startedAt;
    r.pcscf = reg.pcscf;
    if (name === 'reregister') {
      r.grantedExpires = reg.expires;
      await sleep(500 * t);
      if (plan.ipsec) r.spisBefore = await xfrmSpis(n.ueNs);
      const from = cli.states.length;
      await cli.waitFor((s) => s.state === 'reregistering', (reg.expires ?? 60) * 1000, from);
      // TS 33.203 7.4: the new set is made before the old one breaks; watch the kernel meanwhile
      let exchanging = true;
      const watch = (async () => {
        let most = 0;
        while (exchanging && plan.ipsec) {
          most = Math.max(most, await xfrmCount(n.ueNs, 'state'));
          await sleep(100);
        }
        return most;
      })();
      const again = await cli.waitFor((s) => s.state === 'registered', 30_000 * t, from).finally(() => (exchanging = false));
      r.reregisteredAfterMs = again.at - reg.at;
      if (plan.ipsec) {
        r.spisRightAfter = await xfrmSpis(n.ueNs);
        r.xfrmStatesDuringExchange = await watch;
      }
      // the old set goes once its grace (config.oldSaSetGraceMs) is over
      await sleep((plan.slow ? 4000 : 1000) + 1500);
      if (plan.ipsec) r.spisAfter = await xfrmSpis(n.ueNs);
    }
    if (name === 'ni-deactivated' || name === 'ni-rejected') {
      await sleep(1500 * t); // the S-CSCF's first NOTIFY has passed the P-CSCF
      const from = cli.states.length;
      r.notifyAnswer = await networkDeregister(o, imsi, name === 'ni-rejected' ? 'rejected' : 'deactivated');
      if (name === 'ni-deactivated') {
        await cli.waitFor((s) => s.state === 'registered', 30_000 * t, from);
        if (plan.ipsec) r.spisReregistered = await xfrmSpis(n.ueNs);
      }
      else await cli.waitFor((s) => s.state !== 'registered', 10_000 * t, from);
      await sleep(2000 * t);
      r.statesAfterDereg = cli.states.slice(from).map((x) => ({ state: x.snap.state, lastFailure: x.snap.lastFailure }));
    }
    const registeredIndex = cli.states.length;
    // let the reg-event SUBSCRIBE/NOTIFY happen (over the SAs with IPsec); a re-registration's
    // NOTIFY has come meanwhile, and the next re-registration is not to start
    if (name !== 'reregister') await sleep(1500 * t);
    if (name === 'malformed-reginfo') {
      r.statesAfterNotify = cli.states.slice(registeredIndex).map((x) => x.snap.state);
      r.reginfoLog = readFileSync(cli.logFile, 'utf8').split('\n').filter((l) => /NOTIFY|malformed XML/.test(l)).slice(0, 5);
      r.pcscfMangledNotify = readFileSync(join(n.logDir, 'pcscf.log'), 'utf8').includes(`NOTIFY to ${imsi} with a malformed reginfo body`);
    }
    if (plan.ipsec) r.xfrmStatesWhileRegistered = await xfrmCount(n.ueNs, 'state');
    if (name === 'resync') r.hssResync = readFileSync(join(n.logDir, 'hss.log'), 'utf8').slice(hssLogBefore).includes('resync sqn_ms=');
    await stopAndCount(r, cli, n.ueNs, t);
    r.lastFailure = cli.states.at(-1)?.snap.lastFailure;
  } catch (e) {
    r.error = (e as Error).message;
    await cli.stop(5_000);
  }
  return closeResult(r, cli);
}

/** SIGTERM the CLI, then count what it left in the kernel (SAs, policies). */
async function stopAndCount(r: ScenarioResult, cli: RegistrationCli, ueNs: string, t: number): Promise<void> {
  r.exitCode = await cli.stop(30_000 * t);
  r.finalState = cli.states.at(-1)?.snap.state;
  r.xfrmStatesAfterStop = await xfrmCount(ueNs, 'state');
  r.xfrmPoliciesAfterStop = await xfrmCount(ueNs, 'policy');
  r.ok = true;
}

function closeResult(r: ScenarioResult, cli: RegistrationCli): ScenarioResult {
  r.states = cli.stateNames;
  r.window[1] = Date.now() / 1000;
  return r;
}

function hssReloads(logDir: string): number {
  const f = join(logDir, 'hss.log');
  return existsSync(f) ? (readFileSync(f, 'utf8').match(/subscribers: reloaded/g) ?? []).length : 0;
}

export async function labRun(plan: LabRunPlan): Promise<LabRunResult> {
  const o = defaultOptions({ runDir: plan.runDir, prefix: plan.prefix, ipsec: plan.ipsec ? 'on' : 'off' });
  const n = names(o);
  const result: LabRunResult = {
    ueAddress: o.ueV4, pcscf: o.coreV4, deadPcscf: o.deadPcscfV4, uePcap: join(plan.work, 'ue.pcap'), corePcap: n.pcapFile,
    logDir: n.logDir, scenarios: [],
  };
  try {
    const state = await up(o, { slow: plan.slow, log: (l) => console.log(l) });
    result.readyMs = state.readyMs;
    if (readSubscribers(o).length < 3) throw new Error('the lab has fewer than 3 subscribers');
    // UE-side capture (the core capture can drop single packets under load)
    const dump = spawn('ip', ['netns', 'exec', n.ueNs, 'tcpdump', '-i', n.ueIf, '-U', '-n', '-w', result.uePcap], { stdio: 'ignore' });
    await sleep(plan.slow ? 3000 : 500);
    try {
      for (const s of plan.scenarios) {
        const began = Date.now();
        const r = await runScenario(s, o, plan);
        result.scenarios.push(r);
        console.log(`scenario ${s}: ${r.ok ? 'ok' : `FAILED ${r.error}`} in ${Date.now() - began} ms (${r.states.join(' → ')})`);
      }
    } finally {
      await sleep(plan.slow ? 2000 : 300);
      dump.kill('SIGINT');
      await new Promise((res) => dump.once('exit', res));
    }
  } finally {
    writeFileSync(join(plan.work, 'result.json'), JSON.stringify(result, null, 2));
    await down(o, { keepRunDir: true, quiet: true });
  }
  return result;
}

if (process.argv[1]?.endsWith('lab-run.ts') && process.argv[2]) {
  labRun(JSON.parse(readFileSync(process.argv[2], 'utf8')) as LabRunPlan).then(
    () => process.exit(0),
    (e: unknown) => {
      console.log(`lab-run failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
