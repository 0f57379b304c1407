// Calls with IPsec, run inside User-Mode Linux (the host kernel has no ESP): `tsx call-run.ts
// <plan.json>` brings the lab up with sec-agree, starts imsd's registration and call services in
// the UE namespace, registers over ESP, makes one MO call (answered, hung up by imsd) and takes
// one MT call (answered, hung up by the far end), writes <work>/result.json and tears everything
// down even when a step fails. The host test reads result.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { farEndCommand } from '../../../../../lab/core/baresip-ctrl.js';
import { run, sleep } from '../../../../../lab/core/exec.js';
import { down, up } from '../../../../../lab/core/lab.js';
import { defaultOptions, names } from '../../../../../lab/options.js';
import { CallUe } from './call-ue.js';

export interface CallRunPlan {
  runDir: string;
  prefix: string;
  work: string;
}

export interface CallRunStep {
  ok: boolean;
  error?: string;
  states: string[];
  disconnectReason?: string;
  lineIdentification?: string;
  mediaOps: string[];
}

export interface CallRunResult {
  ipsec: boolean;
  registered: boolean;
  registeredMs?: number;
  /** ESP packets counted by the UE's SAs (ip -s xfrm state) before the calls and after them */
  espPacketsBefore?: number;
  espPacketsAfter?: number;
  xfrmStates?: number;
  mo?: CallRunStep;
  mt?: CallRunStep;
  ueExit?: number | null;
  error?: string;
}

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

async function espPackets(ns: string): Promise<{ states: number; packets: number }> {
  const out = await run(['ip', '-n', ns, '-s', 'xfrm', 'state', 'list']);
  const states = out.split('\n').filter((l) => /^src /.test(l)).length;
  let packets = 0;
  for (const m of out.matchAll(/current:\s*\n\s*(\d+)\(bytes\), (\d+)\(packets\)/g)) packets += Number(m[2]);
  return { states, packets };
}

/** stopMedia follows the call's removal (the driver is told after the state change) */
async function waitStop(ue: CallUe, id: string): Promise<void> {
  await ue.waitFor((e) => e.event === 'media' && e.record?.op === 'stop' && e.record.callId === id, 30_000, 0, `stopMedia of ${id}`);
}

async function step(ue: CallUe, fn: () => Promise<string>): Promise<CallRunStep> {
  const r: CallRunStep = { ok: false, states: [], mediaOps: [] };
  let id: string | undefined;
  try {
    id = await fn();
    r.ok = true;
  } catch (e) {
    r.error = (e as Error).message;
  }
  const last = [...ue.events].reverse().find((e) => e.call && (!id || e.call.id === id));
  id ??= last?.call?.id;
  if (id) {
    r.states = ue.states(id);
    const removed = ue.events.find((e) => e.event === 'removed' && e.call?.id === id);
    if (removed?.call?.disconnectReason) r.disconnectReason = removed.call.disconnectReason;
    r.lineIdentification = ue.events.find((e) => e.call?.id === id)?.call?.lineIdentification;
    r.mediaOps = ue.media(id).map((m) => m.op);
  }
  return r;
}

export async function callRun(plan: CallRunPlan): Promise<CallRunResult> {
  const o = defaultOptions({ runDir: plan.runDir, prefix: plan.prefix, ipsec: 'on' });
  const n = names(o);
  const result: CallRunResult = { ipsec: false, registered: false };
  let ue: CallUe | undefined;
  const far = async (cmd: string, params = ''): Promise<void> => {
    const r = await farEndCommand(o, cmd, params);
    if (!r.ok) throw new Error(`far end ${cmd}: ${r.data}`);
  };
  try {
    const state = await up(o, { slow: true, autoAnswer: false, log: (l) => console.log(l) });
    result.ipsec = state.ipsec;
    ue = new CallUe(n.ueNs, {
      pcscf: o.coreV4, ue: o.ueV4, imsi: '001010000000001', k: K, opc: OPC, sqnStateFile: join(plan.work, 'sqn.json'),
      secAgree: [{ alg: 'hmac-sha-1-96', ealg: 'null' }], t1Ms: 1000,
    }, plan.work, 'ue');
    const reg = await ue.waitFor((e) => e.event === 'reg' && e.snapshot?.state === 'registered', 120_000, 0, 'registered');
    result.registered = true;
    result.registeredMs = reg.at - ue.events[0]!.at;
    await sleep(3000); // the reg-event SUBSCRIBE/NOTIFY over the SAs
    const before = await espPackets(n.ueNs);
    result.espPacketsBefore = before.packets;
    result.xfrmStates = before.states;
    const u = ue;
    result.mo = await step(u, async () => {
      const call = await u.request<{ id: string }>('dial', '+15559999', '');
      await u.waitState(call.id, 'alerting', 60_000);
      await far('accept');
      await u.waitState(call.id, 'active', 60_000);
      await sleep(1000);
      await u.request('hangup', call.id);
      await u.waitRemoved(call.id, 60_000);
      await waitStop(u, call.id);
      return call.id;
    });
    await sleep(2000);
    result.mt = await step(u, async () => {
      const from = u.events.length;
      await far('dial', `sip:+15550001@${o.domain};user=phone`);
      const added = await u.waitFor((e) => e.event === 'added', 60_000, from, 'incoming call');
      await u.request('answer', added.call!.id);
      await u.waitState(added.call!.id, 'active', 60_000);
      await sleep(1000);
      await far('hangup');
      await u.waitRemoved(added.call!.id, 60_000);
      await waitStop(u, added.call!.id);
      return added.call!.id;
    });
    result.espPacketsAfter = (await espPackets(n.ueNs)).packets;
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    if (ue) result.ueExit = await ue.stop(60_000);
    writeFileSync(join(plan.work, 'result.json'), JSON.stringify(result, null, 2));
    await down(o, { keepRunDir: true, quiet: true });
  }
  return result;
}

if (process.argv[1]?.endsWith('call-run.ts') && process.argv[2]) {
  callRun(JSON.parse(readFileSync(process.argv[2], 'utf8')) as CallRunPlan).then(
    (r) => process.exit(r.error ? 1 : 0),
    (e: unknown) => {
      console.log(`call-run failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
