// Runs inside User-Mode Linux (ESP in the kernel): `up` with imsd and sec-agree, then oFono's
// scripts place an MO call to the lab's far end (which answers by itself) and answer an MT call
// from it, over the SAs; then they drive imsd's registration and SIGTERM stops it; writes what it saw to <work>/result.json
// for the host side of tests/e2e/daemon/main/ofono-scripts-uml.test.ts. Always takes the lab down.
// `tsx imsd-uml-run.ts <work> <prefix>`
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { farEndCommand } from '../../../../../lab/core/baresip-ctrl.js';
import { isAlive } from '../../../../../lab/core/exec.js';
import { down, up } from '../../../../../lab/core/lab.js';
import { imsdPaths, LAB_IMSD } from '../../../../../lab/core/ue.js';
import { defaultOptions, names } from '../../../../../lab/options.js';
import { CallWatch } from '../call-watch.js';
import { imsProperties, nameHasOwner, socketsInNs, waitUntil, xfrmInNs } from '../imsd-process.js';

/** one call as imsd's signals told it */
export interface UmlCall {
  path: string;
  /** State values from CallAdded and PropertyChanged, in order */
  states: string[];
  disconnectReason: string;
  /** the far end's log for this call */
  farEnd: string;
  /** ms from Dial (MO) or the far end's dial command (MT) to State active */
  activeAfterMs: number;
}

export interface UmlRunResult {
  ok: boolean;
  error?: string;
  ipsec?: boolean;
  registeredAfterUpMs?: number;
  listModems?: string;
  xfrmRegistered?: { states: number; policies: number };
  mo?: UmlCall;
  mt?: UmlCall;
  /** packets counted by the UE's SAs (ip -s xfrm state) before and after the two calls */
  espPackets?: { before: number; after: number };
  xfrmAfterUnregister?: { states: number; policies: number };
  registeredAgain?: boolean;
  xfrmRegisteredAgain?: { states: number; policies: number };
  stopMs?: number;
  afterStop?: { nameOwned: boolean; sockets: string[]; xfrm: { states: number; policies: number } };
  imsdLog?: string;
}

const [work, prefix] = process.argv.slice(2) as [string, string];
const r: UmlRunResult = { ok: false };
const o = defaultOptions({ runDir: join(work, 'lab'), prefix, ipsec: 'on' });
const ns = names(o).ueNs;
const bus = imsdPaths(o).busAddress;
const script = (name: string, args: string[] = []): string =>
  execFileSync(`/usr/share/ofono/scripts/${name}`, args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 60_000 });
const registered = async (): Promise<boolean> => (await imsProperties(bus, LAB_IMSD.busName, LAB_IMSD.modemPath)).Registered === 'true';

/** every packet the UE namespace's SAs have carried, from their lifetime counters */
function espPackets(): number {
  const out = execFileSync('ip', ['-n', ns, '-s', 'xfrm', 'state', 'list'], { encoding: 'utf8' });
  return [...out.matchAll(/(\d+)\(bytes\), (\d+)\(packets\)/g)].reduce((sum, m) => sum + Number(m[2]), 0);
}

/** an MO call answered by the far end and hung up by hangup-all, then an MT call answered by answer-calls and hung up by the far end */
async function calls(): Promise<void> {
  const watch = await CallWatch.open(bus, LAB_IMSD.busName, LAB_IMSD.modemPath);
  const farEndLog = (): string => readFileSync(join(names(o).logDir, 'baresip.log'), 'utf8');
  const record = async (path: string, m: number, t0: number): Promise<UmlCall> => {
    await watch.property(path, 'State', 'active', m, 60_000);
    const activeAfterMs = Date.now() - t0;
    return { path, states: [], disconnectReason: '', farEnd: '', activeAfterMs };
  };
  const finish = async (c: UmlCall, m: number, at: number): Promise<void> => {
    await watch.callRemoved(c.path, m, 60_000);
    const added = watch.signals.slice(m).find((s) => s.member === 'CallAdded' && s.body[0] === c.path);
    const initial = (added?.body[1] as Record<string, { value: unknown }> | undefined)?.State?.value;
    c.states = [String(initial), ...watch.history(c.path, 'State', m)];
    c.disconnectReason = String(watch.signals.slice(m).find((s) => s.path === c.path && s.member === 'DisconnectReason')?.body[0]);
    await waitUntil('the far end to log the end of the call', async () => /session closed/.test(farEndLog().slice(at)), 20_000, 200).catch(() => undefined);
    c.farEnd = farEndLog().slice(at);
  };
  try {
    let m = watch.mark();
    let at = farEndLog().length;
    let t0 = Date.now();
    const path = /^(\/\S+voicecall\d+)$/m.exec(script('dial-number', ['+15559999']))?.[1];
    if (!path) throw new Error('dial-number printed no call path');
    r.mo = await record(path, m, t0);
    script('hangup-all');
    await finish(r.mo, m, at);
    m = watch.mark();
    at = farEndLog().length;
    t0 = Date.now();
    const dialed = await farEndCommand(o, 'dial', `sip:+15550001@${o.domain};user=phone`);
    if (!dialed.ok) throw new Error(`far end dial: ${dialed.data}`);
    const added = await watch.callAdded(m, 60_000);
    const mtPath = added.body[0] as string;
    script('answer-calls');
    r.mt = await record(mtPath, m, t0);
    await farEndCommand(o, 'hangup');
    await finish(r.mt, m, at);
  } finally {
    await watch.close();
  }
}

async function main(): Promise<void> {
  const st = await up(o, { slow: true, imsd: true, log: (l) => console.error(l) });
  r.ipsec = st.ipsec;
  const t0 = Date.now();
  await waitUntil('Registered = true', registered, 120_000, 200);
  r.registeredAfterUpMs = Date.now() - t0;
  r.listModems = script('list-modems');
  r.xfrmRegistered = await xfrmInNs(ns);
  const before = espPackets();
  await calls();
  r.espPackets = { before, after: espPackets() };
  script('ims-unregister');
  await waitUntil('Registered = false', async () => !(await registered()), 60_000, 200);
  // the D-Bus property turns false with the 200; the SAs go right after it
  await waitUntil('SAs removed', async () => (await xfrmInNs(ns)).states === 0, 10_000, 200).catch(() => undefined);
  r.xfrmAfterUnregister = await xfrmInNs(ns);
  script('ims-register');
  await waitUntil('Registered = true again', registered, 120_000, 200);
  r.registeredAgain = true;
  r.xfrmRegisteredAgain = await xfrmInNs(ns);
  const pid = st.pids.imsd!;
  const t1 = Date.now();
  process.kill(pid, 'SIGTERM');
  await waitUntil('imsd to exit', async () => !isAlive(pid), 30_000, 20);
  r.stopMs = Date.now() - t1;
  r.afterStop = {
    nameOwned: await nameHasOwner(bus, LAB_IMSD.busName),
    sockets: (await socketsInNs(ns)).filter((l) => l.includes(`pid=${pid},`)),
    xfrm: await xfrmInNs(ns),
  };
  r.ok = true;
}

main()
  .catch((e: unknown) => {
    r.error = e instanceof Error ? e.message : String(e);
  })
  .finally(async () => {
    try {
      r.imsdLog = readFileSync(imsdPaths(o).log, 'utf8');
    } catch {
      // no log: up failed before imsd
    }
    writeFileSync(join(work, 'result.json'), JSON.stringify(r, null, 2));
    await down(o, { quiet: true }).catch(() => undefined);
  });
