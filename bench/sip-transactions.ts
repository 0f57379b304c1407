// Transactions per second for a REGISTER/200 loop over loopback UDP: imsd's client
// transactions (transaction layer + SipTransport, RFC 3261 timers running) against SIPp's
// UAC, both towards the same SIPp UAS in the same run, with the same number of transactions
// outstanding at once. Figures, not pass/fail:
//   npx tsx bench/sip-transactions.ts [transactions-per-sample=20000] [outstanding=50] [rounds=3]
// Each sample's time runs from the first send to the last final response (SIPp's from process
// start to exit, so it includes SIPp's start-up of a few ms). Both sides drive the same
// single-threaded SIPp UAS on a small machine, so the UAS may bound both rates; the CPU time
// per transaction printed for imsd is its own cost. With few outstanding transactions SIPp's
// UAC is held back by its own call scheduler, with many (>= 100) loopback UDP loses packets
// and SIPp's UAS absorbs the retransmissions of finished calls (its dead-call wait).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../daemon/sip/clock.js';
import { SipEndpoint } from '../daemon/sip/endpoint.js';
import { Headers } from '../daemon/sip/headers.js';
import { SipRequest } from '../daemon/sip/message.js';
import { sipUri } from '../daemon/sip/uri.js';
import { SipTransport } from '../daemon/transport/sip-transport.js';

const N = Number(process.argv[2] ?? 20000);
const OUTSTANDING = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 3);
const ADDR = '127.0.0.1';

const UAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench UAS: 200 to REGISTER">
  <recv request="REGISTER"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Contact:];expires=600
Content-Length: 0

]]></send>
</scenario>
`;

const UAC = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench UAC: REGISTER, 200">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
Max-Forwards: 70
From: <sip:bench@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bench@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:bench@[local_ip]:[local_port]>
Expires: 600
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
`;

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, ADDR, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function sipp(dir: string, argv: string[]): { exited: Promise<number | null>; kill(): void } {
  const child = spawn('sipp', [...argv, '-nostdin', '-trace_err', '-buff_size', '1048576'], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { exited, kill: () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL') };
}

async function sippUacSample(dir: string, uasPort: number): Promise<number> {
  const port = await freeUdpPort();
  const started = performance.now();
  const run = sipp(dir, [`${ADDR}:${uasPort}`, '-sf', join(dir, 'uac.xml'), '-i', ADDR, '-p', String(port), '-t', 'u1', '-m', String(N), '-l', String(OUTSTANDING), '-r', '1000000', '-rp', '1000', '-timeout', '120s', '-timeout_error']);
  const code = await run.exited;
  const secs = (performance.now() - started) / 1000;
  if (code !== 0) {
    const log = readdirSync(dir).filter((f) => f.startsWith('uac_') && f.endsWith('_errors.log')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    throw new Error(`SIPp UAC exited with ${code}: ${log.slice(0, 2000)}`);
  }
  return N / secs;
}

/** CPU time (user + system, µs) our process spent per transaction in the last sample */
let cpuPerTx = 0;

async function imsdSample(uasPort: number, round: number): Promise<number> {
  const transport = await SipTransport.open({ localAddress: ADDR, portS: 0 });
  const ep = new SipEndpoint({ transport, clock: new SystemClock(), sentBy: { host: ADDR, port: transport.portS }, tu: { onRequest: () => undefined } });
  const dest = { address: ADDR, port: uasPort, protocol: 'udp' as const };
  const uri = sipUri({ host: ADDR, port: uasPort });
  let launched = 0;
  let done = 0;
  const failures = new Map<string, number>();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const one = (): void => {
      const i = launched++;
      const h = new Headers()
        .append('Max-Forwards', 70)
        .append('From', `<sip:bench@${ADDR}>;tag=b${round}x${i}`)
        .append('To', `<sip:bench@${ADDR}>`)
        .append('Call-ID', `bench-${round}-${i}-${process.pid}@${ADDR}`)
        .append('CSeq', '1 REGISTER')
        .append('Contact', `<sip:bench@${ADDR}:${transport.portS}>`)
        .append('Expires', 600);
      const finish = (why?: string): void => {
        if (why !== undefined) failures.set(why, (failures.get(why) ?? 0) + 1);
        if (++done === N) resolve();
        else if (launched < N) one();
      };
      ep.layer.sendRequest(new SipRequest('REGISTER', uri, h), dest, {
        onResponse: (r) => r.status >= 200 && finish(r.status === 200 ? undefined : String(r.status)),
        onTimeout: (e) => finish(`Timer ${e.timer}`),
        onTransportError: (e) => finish(e.message),
      });
    };
    for (let k = 0; k < Math.min(OUTSTANDING, N); k++) one();
  });
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  cpuPerTx = (cpu.user + cpu.system) / N;
  ep.close();
  await transport.close();
  if (failures.size > 0) throw new Error(`our transactions failed: ${[...failures].map(([w, n]) => `${n} x ${w}`).join('; ')}`);
  return N / secs;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'imsdt-bench-txn-'));
writeFileSync(join(dir, 'uas.xml'), UAS);
writeFileSync(join(dir, 'uac.xml'), UAC);
const uasPort = await freeUdpPort();
const uas = sipp(dir, ['-sf', join(dir, 'uas.xml'), '-i', ADDR, '-p', String(uasPort), '-t', 'u1']);
try {
  await new Promise((r) => setTimeout(r, 300)); // let the UAS bind
  const sippRates: number[] = [];
  const oursRates: number[] = [];
  const cpu: number[] = [];
  await imsdSample(uasPort, -1); // warm-up (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    sippRates.push(await sippUacSample(dir, uasPort));
    oursRates.push(await imsdSample(uasPort, r));
    cpu.push(cpuPerTx);
  }
  const s = median(sippRates);
  const o = median(oursRates);
  console.log(`node ${process.version}; REGISTER/200 over UDP loopback to a SIPp 3.6 UAS; ${N} transactions per sample, ${OUTSTANDING} outstanding, median of ${ROUNDS}`);
  console.log(`SIPp UAC            ${s.toFixed(0).padStart(8)} tx/s   (samples ${sippRates.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`imsd transactions   ${o.toFixed(0).padStart(8)} tx/s   (samples ${oursRates.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`ratio imsd/SIPp     ${(o / s).toFixed(2)}x`);
  console.log(`imsd CPU per transaction (whole node process: bench loop, transport, layer): median ${median(cpu).toFixed(0)} µs`);
} finally {
  uas.kill();
  await uas.exited;
  rmSync(dir, { recursive: true, force: true });
}
