// Worker of bench/registration.ts, run inside the lab's UE namespace: imsd's RegistrationService
// (soft SIM, simulated modem, no IPsec) registers N times; for each, the wall time from PDN up to
// 'registered' (the 200 OK processed) and the CPU time this process spent meanwhile (AKA, digest,
// SIP messages, transactions; waiting for the network costs no CPU). Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SoftSim } from '../daemon/auth/sim/soft-sim.js';
import { startRegistration } from '../daemon/ims/registration/service.js';
import { SimulatedDriver } from '../modem-drivers/simulated/simulated-driver.js';

interface WorkerConfig { ue: string; pcscf: string; imsi: string; k: string; opc: string; runs: number }

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const dir = mkdtempSync(join(tmpdir(), 'imsdt-benchreg-'));
const sim = await SoftSim.open({ imsi: cfg.imsi, mncLength: 2, k: cfg.k, opc: cfg.opc, stateFile: join(dir, 'sqn.json') });
let akaCpuUs = 0;
const authenticate = sim.authenticate.bind(sim);
sim.authenticate = async (rand, autn) => {
  const c = process.cpuUsage();
  const r = await authenticate(rand, autn);
  const d = process.cpuUsage(c);
  akaCpuUs += d.user + d.system;
  return r;
};
const driver = new SimulatedDriver({ interface: 'ims0', addresses: [cfg.ue], pcscf: [cfg.pcscf] });
const reg = await startRegistration({ driver, sim, ipsec: 'none', activatePdn: false, userAgent: 'imsd-bench' });
const waitState = (state: string) => new Promise<void>((res) => {
  const on = (s: { state: string }) => {
    if (s.state === state) {
      reg.events.off('state', on);
      res();
    }
  };
  reg.events.on('state', on);
});

const samples: { wallMs: number; cpuMs: number; akaCpuMs: number }[] = [];
for (let i = 0; i < cfg.runs + 1; i++) {
  akaCpuUs = 0;
  const registered = waitState('registered');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await driver.activateImsPdn();
  await registered;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // the first run warms up the JIT and opens the SIM: not counted
  if (i > 0) samples.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, akaCpuMs: akaCpuUs / 1000 });
  const idle = waitState('idle');
  driver.losePdn('bench');
  await idle;
}
await reg.stop(2000);
await driver.close();
await sim.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ samples }));
process.exit(0);
