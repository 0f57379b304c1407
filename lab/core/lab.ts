// up / down / status of the lab on this kernel (see uml.ts for the same inside User-Mode Linux).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_PORTS, names, umlInnerOptions, type LabOptions } from '../options.js';
import { startBaresip } from './baresip.js';
import { startCapture } from './capture.js';
import { isAlive, sleep, waitFor } from './exec.js';
import { kernelHasEsp } from './esp.js';
import { hssAvailable, startHss } from './hss.js';
import { startPcscf, startScscf } from './kamailio.js';
import { hasEstablishedTcp, isListening } from './listening.js';
import { createTopology, listNamespaces, pidsInNamespace, removeTopology } from './netns.js';
import { readState, writeState, type LabState } from './state.js';
import { defaultLabSubscribers } from '../hss/default-subscribers.js';
import { publicSubscribers, readSubscribers, writeSubscribers } from './subscribers.js';
import { imsdInfo, startUe, type ImsdInfo } from './ue.js';

export class LabError extends Error {
  override name = 'LabError';
}

export interface UpOptions {
  /** Inside UML: one Kamailio child, small memory, long timeouts. */
  slow?: boolean;
  autoAnswer?: boolean;
  log?: (line: string) => void;
  /** start imsd in the UE namespace, registered to the lab (see ue.ts); tests with their own UE leave it out */
  imsd?: boolean;
  /**
   * the far end also speaks AMR-WB and AMR (octet-aligned), with a tone that lasts the call; default:
   * when imsd is started (its simulated modem offers only the IR.92 codecs), else G.711 only
   */
  farEndAmr?: boolean;
}

export async function up(o: LabOptions, u: UpOptions = {}): Promise<LabState> {
  const log = u.log ?? ((l: string) => console.error(l));
  const t0 = Date.now();
  const n = names(o);
  const existing = readState(o);
  if (existing && existing.mode === 'host' && (await healthy(o, existing))) {
    log(`imsd-lab: already up (run dir ${o.runDir})`);
    return existing;
  }
  // Whatever a crashed or half-finished run left behind goes first.
  await down(o, { keepRunDir: false, quiet: true });

  mkdirSync(n.logDir, { recursive: true });
  if (readSubscribers(o).length === 0) writeSubscribers(o, defaultLabSubscribers());
  await createTopology(o);
  const pids: Record<string, number> = {};
  const state: LabState = { options: o, pids, ipsec: false, mode: 'host', startedAt: new Date().toISOString() };
  writeState(o, state);
  try {
    const esp = await kernelHasEsp(n.coreNs);
    if (o.ipsec === 'on' && !esp) {
      throw new LabError('IPsec requested but this kernel has no ESP (CONFIG_INET_ESP): use --uml, or --no-ipsec');
    }
    state.ipsec = o.ipsec !== 'off' && esp;
    if (o.ipsec === 'auto' && !esp) {
      log('');
      log('*** imsd-lab: THIS KERNEL HAS NO ESP (IPsec): the P-CSCF runs WITHOUT sec-agree/IPsec. ***');
      log('*** Use `imsd-lab up --uml` to run the lab with IPsec inside User-Mode Linux.            ***');
      log('');
    }
    pids.tcpdump = startCapture(o);
    const slowFactor = u.slow ? 20 : 1;
    if (hssAvailable()) pids.hss = startHss(o);
    else log('imsd-lab: warning: lab/hss/main.ts is missing: no HSS, REGISTER will fail');
    const tuning = { slow: u.slow ?? false, debug: 2 };
    pids.scscf = startScscf(o, tuning);
    pids.pcscf = startPcscf(o, tuning, state.ipsec);
    pids.farEnd = startBaresip(o, u.autoAnswer ?? true, u.farEndAmr ?? u.imsd === true);
    writeState(o, state);
    const probes: [string, () => Promise<boolean>][] = [
      ['P-CSCF (udp ' + o.pcscfPort + ')', () => isListening(n.coreNs, 'udp', o.pcscfPort)],
      ['S-CSCF (udp ' + CORE_PORTS.scscf + ')', () => isListening(n.coreNs, 'udp', CORE_PORTS.scscf)],
      ['far-end phone (udp ' + CORE_PORTS.farEndSip + ')', () => isListening(n.coreNs, 'udp', CORE_PORTS.farEndSip)],
      ['far-end control (tcp ' + CORE_PORTS.farEndCtrl + ')', () => isListening(n.coreNs, 'tcp', CORE_PORTS.farEndCtrl)],
    ];
    if (pids.hss) {
      probes.push(['HSS (tcp ' + CORE_PORTS.hssDiameter + ')', () => isListening(n.coreNs, 'tcp', CORE_PORTS.hssDiameter)]);
      // the S-CSCF is usable for REGISTER only once its Cx connection (CER/CEA) is up
      probes.push(['S-CSCF ↔ HSS Diameter connection', () => hasEstablishedTcp(n.coreNs, CORE_PORTS.hssDiameter)]);
    }
    for (const [what, check] of probes) {
      await waitFor(
        what,
        async () => {
          for (const [name, pid] of Object.entries(pids)) {
            if (!isAlive(pid)) throw new LabError(`${name} exited during start-up; see ${join(n.logDir, name + '.log')}`);
          }
          return check();
        },
        15_000 * slowFactor,
        50,
      );
    }
    if (u.imsd) {
      // on failure, down() below stops the bus and imsd: they run in the UE namespace
      const ue = await startUe(o, {
        ueNamespace: n.ueNs,
        ueAddress: o.ueV4,
        ueAddress6: o.ueV6,
        pcscf: { address: o.coreV4, address6: o.coreV6, port: o.pcscfPort },
        domain: o.domain,
        ipsec: state.ipsec,
      }, 15_000 * slowFactor);
      Object.assign(pids, ue);
    }
    state.readyMs = Date.now() - t0;
    writeState(o, state);
    log(`imsd-lab: up in ${state.readyMs} ms (ipsec ${state.ipsec ? 'on' : 'off'}), run dir ${o.runDir}`);
    return state;
  } catch (e) {
    log(`imsd-lab: up failed: ${(e as Error).message}; logs kept in ${n.logDir}`);
    await down(o, { keepRunDir: true, quiet: true });
    throw e;
  }
}

async function healthy(o: LabOptions, s: LabState): Promise<boolean> {
  const n = names(o);
  const ns = await listNamespaces();
  if (!ns.includes(n.coreNs) || !ns.includes(n.ueNs)) return false;
  return Object.values(s.pids).every(isAlive);
}

export interface DownOptions {
  /** Keep logs and pcap (used when `up` fails, so the user can read why). */
  keepRunDir?: boolean;
  quiet?: boolean;
}

/** Stop every process, remove namespaces, veths, /etc/netns entries and (unless kept) the run dir. */
export async function down(o: LabOptions, d: DownOptions = {}): Promise<void> {
  const n = names(o);
  const s = readState(o);
  const pids = new Set<number>(Object.values(s?.pids ?? {}));
  // Everything still running inside our namespaces, whether or not the state file knew it.
  const existing = await listNamespaces();
  for (const ns of [n.coreNs, n.ueNs]) {
    if (existing.includes(ns)) for (const p of await pidsInNamespace(ns)) pids.add(p);
  }
  for (const p of pids) signal(p, 'SIGTERM');
  const end = Date.now() + 5000;
  while ([...pids].some(isAlive) && Date.now() < end) await sleep(50);
  for (const p of pids) if (isAlive(p)) signal(p, 'SIGKILL');
  await removeTopology(o);
  if (!d.keepRunDir && existsSync(o.runDir)) rmSync(o.runDir, { recursive: true, force: true });
  if (!d.quiet) console.error(`imsd-lab: down (${pids.size} processes stopped)`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export interface LabStatus {
  up: boolean;
  mode: 'host' | 'uml' | null;
  domain: string;
  pcscf: { address: string; address6: string; port: number; host: string };
  /** Addresses that behave like a P-CSCF that never answers (see netns.ts). */
  deadPcscf: { address: string | null; address6: string | null };
  coreNamespace: string;
  ueNamespace: string;
  ueAddress: string;
  ueAddress6: string;
  ipsec: boolean;
  runDir: string;
  logDir: string;
  pcap: string;
  farEnd: { number: string };
  readyMs: number | null;
  components: Record<string, { pid: number; running: boolean | null }>;
  subscribers: { imsi: string; msisdn: string }[];
  /** imsd in the UE namespace (null when `up` did not start it) */
  imsd: ImsdInfo | null;
}

export async function status(o: LabOptions): Promise<LabStatus> {
  const top = readState(o);
  const inUml = top?.mode === 'uml';
  // under --uml the lab proper (its state, logs, subscribers) lives in the inner run dir
  const s = inUml ? (readState(umlInnerOptions(o)) ?? top) : top;
  const opts = s?.options ?? o;
  const n = names(opts);
  const components: LabStatus['components'] = {};
  // pids inside UML are not ours to probe: there the UML kernel's pid says whether the lab lives
  for (const [name, pid] of Object.entries(s?.pids ?? {})) components[name] = { pid, running: inUml ? null : isAlive(pid) };
  const upNow = top && s
    ? inUml
      ? top.umlPid !== undefined && isAlive(top.umlPid) && s.readyMs !== undefined
      : await healthy(opts, s)
    : false;
  return {
    up: upNow,
    mode: top?.mode ?? null,
    domain: opts.domain,
    pcscf: { address: opts.coreV4, address6: opts.coreV6, port: opts.pcscfPort, host: n.pcscfHost },
    deadPcscf: { address: opts.deadPcscfV4 ?? null, address6: opts.deadPcscfV6 ?? null },
    coreNamespace: n.coreNs,
    ueNamespace: n.ueNs,
    ueAddress: opts.ueV4,
    ueAddress6: opts.ueV6,
    ipsec: s?.ipsec ?? false,
    runDir: opts.runDir,
    logDir: n.logDir,
    pcap: n.pcapFile,
    farEnd: { number: opts.farEndNumber },
    readyMs: top?.readyMs ?? null,
    components,
    subscribers: publicSubscribers(opts),
    imsd: s?.pids.imsd !== undefined ? imsdInfo(opts, s.pids) : null,
  };
}
