// imsd's registration service and call service with a SimulatedDriver, run in the lab's UE
// namespace by the call tests: `tsx ue-runner.ts <config.json>`. Commands arrive on stdin as JSON
// lines {"id":n,"op":"dial","args":["+15559999",""]}; replies ({"reply":n,"ok":…}) and events
// ({"event":"added"|"changed"|"removed","call":…}, {"event":"reg","snapshot":…},
// {"event":"media",…}) go to stdout as JSON lines; the log goes to stderr.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { SoftSim } from '../../../../../daemon/auth/sim/soft-sim.js';
import { startCallService } from '../../../../../daemon/ims/call/service.js';
import { startRegistration } from '../../../../../daemon/ims/registration/service.js';
import { createLogger } from '../../../../../daemon/log/logger.js';
import { SimulatedDriver, DEFAULT_MEDIA } from '../../../../../modem-drivers/simulated/simulated-driver.js';
import type { BearerInfo } from '../../../../../modem-drivers/driver.js';
import { XfrmIpsecManager } from '../../../../../daemon/ipsec/sa-manager.js';
import type { AlgorithmPair } from '../../../../../daemon/ims/registration/sec-agree.js';

interface Config {
  pcscf: string;
  ue: string;
  imsi: string;
  k: string;
  opc: string;
  sqnStateFile: string;
  /** report QCI 1 bearers (the test raises them); false: QoS counts as met */
  bearerEvents?: boolean;
  sessionTimer?: { interval: number; minSE: number } | false;
  qosTimeoutMs?: number;
  localPort?: number;
  /** sec-agree with these algorithm pairs (needs ESP in the kernel: inside UML) */
  secAgree?: AlgorithmPair[];
  /** Kamailio inside UML is slow: a longer T1 keeps retransmissions down */
  t1Ms?: number;
  /** the P-Access-Network-Info the simulated modem reports with its PDN */
  accessNetworkInfo?: string;
  /** the simulated modem runs each call's RTP on the AP (modem-drivers/rtp/) */
  rtp?: boolean;
}

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
// every line carries t: this process's performance.now(), for in-process figures
const print = (o: object): void => void process.stdout.write(`${JSON.stringify({ ...o, t: performance.now() })}\n`);
const logger = createLogger({ level: 'debug', stream: process.stderr });

async function main(): Promise<void> {
  const sim = await SoftSim.open({ imsi: cfg.imsi, mncLength: 2, k: cfg.k, opc: cfg.opc, stateFile: cfg.sqnStateFile, logger: logger.child('sim') });
  // the lab's far end (baresip) speaks G.711 only: the media side declares PCMU after the IR.92 set
  const driver = new SimulatedDriver({
    interface: 'ims0', addresses: [cfg.ue], pcscf: [cfg.pcscf],
    ...(cfg.accessNetworkInfo ? { accessNetworkInfo: cfg.accessNetworkInfo } : {}),
    ...(cfg.rtp ? { rtp: { logger: logger.child('media') } } : {}),
    capabilities: { bearerEvents: cfg.bearerEvents ?? false },
    media: { ...DEFAULT_MEDIA, codecs: [...DEFAULT_MEDIA.codecs, { name: 'PCMU', clockRate: 8000 }], telephoneEventRates: [16000, 8000] },
  });
  const ipsec = cfg.secAgree ? XfrmIpsecManager.open({ log: (line) => logger.child('ipsec').info(line) }) : 'none';
  const reg = await startRegistration({
    driver, sim, ipsec, logger,
    ...(cfg.secAgree ? { offer: cfg.secAgree } : {}),
    ...(cfg.t1Ms ? { timers: { T1: cfg.t1Ms } } : {}), userAgent: 'imsd/0.1', localPort: cfg.localPort ?? 5060,
    supported: ['100rel', 'precondition', 'timer'],
    sessionTimer: cfg.sessionTimer ?? { interval: 1800, minSE: 90 },
  });
  const calls = startCallService({ registration: reg, driver, logger, ...(cfg.qosTimeoutMs ? { qosTimeoutMs: cfg.qosTimeoutMs } : {}) });
  reg.events.on('state', (snapshot) => print({ event: 'reg', snapshot }));
  print({ event: 'reg', snapshot: reg.snapshot });
  for (const e of ['added', 'changed', 'removed']) calls.events.on(e, (call) => print({ event: e, call }));
  // the INVITE as the call service gets it (parsed, through the transaction layer and the core)
  const take = reg.onInvite;
  reg.onInvite = (call, sip) => {
    print({ event: 'invite', callId: call.request.callId });
    return take?.(call, sip);
  };
  const logged = driver.mediaLog.length;
  let seen = logged;
  const mediaTimer = setInterval(() => {
    while (seen < driver.mediaLog.length) print({ event: 'media', record: driver.mediaLog[seen++] });
  }, 20);
  const ops: Record<string, (...a: never[]) => Promise<unknown> | unknown> = {
    // resolves once the INVITE is handed to the transport: ms is dial() → INVITE on its way
    dial: async (n: string, hide: '') => {
      const t0 = performance.now();
      const info = await calls.dial(n, hide);
      return { ...info, ms: performance.now() - t0 };
    },
    answer: (id: string) => calls.answer(id),
    hangup: (id: string) => calls.hangup(id),
    hangupAll: () => calls.hangupAll(),
    holdAndAnswer: () => calls.holdAndAnswer(),
    releaseAndAnswer: () => calls.releaseAndAnswer(),
    swapCalls: () => calls.swapCalls(),
    sendTones: (t: string) => calls.sendTones(t),
    calls: () => calls.calls,
    rtpStats: (id: string) => driver.rtpStats(id),
    bearerUp: (b: BearerInfo) => driver.addBearer(b),
    bearerDown: (id: number) => driver.dropBearer(id),
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (!line.trim()) return;
    const m = JSON.parse(line) as { id: number; op: string; args?: unknown[] };
    const fn = ops[m.op];
    if (!fn) return print({ reply: m.id, ok: false, error: `unknown op ${m.op}` });
    Promise.resolve()
      .then(() => (fn as (...a: unknown[]) => unknown)(...(m.args ?? [])))
      .then(
        (result) => print({ reply: m.id, ok: true, result }),
        (e: unknown) => print({ reply: m.id, ok: false, error: (e as Error).message, code: (e as { code?: string }).code }),
      );
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await calls.close();
  clearInterval(mediaTimer);
  while (seen < driver.mediaLog.length) print({ event: 'media', record: driver.mediaLog[seen++] });
  await reg.stop(5000);
  await driver.close();
  await sim.close();
  if (ipsec !== 'none') await ipsec.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
