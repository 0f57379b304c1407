// The PC/SC AUTHENTICATE round trip: PcscSim.authenticate through an isolated pcscd and
// vsmartcard's vpcd driver to the virtual ISIM (tests/helpers/vcard), against pyscard (Debian
// python3-pyscard, an independent PC/SC client on the same libpcsclite) sending the same APDUs
// (SELECT ISIM P2 0C, AUTHENTICATE, GET RESPONSE) through the same pcscd to the same card in the
// same run. Needs root (network and mount namespaces). Figures, not pass/fail:
//   npx tsx bench/auth-pcsc.ts [seconds-per-sample]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exchangeOk, reselectAid } from '../daemon/auth/sim/pcsc-apdu.js';
import { ReaderError } from '../daemon/auth/sim/pcsc-errors.js';
import { PcscConnection } from '../daemon/auth/sim/pcsc-reader.js';
import { PcscSim } from '../daemon/auth/sim/pcsc-sim.js';
import { authVector } from '../lab/hss/aka-vectors.js';
import { ISIM_AID, type CardContent } from '../tests/helpers/vcard/card-files.js';
import { IsolatedPcscd, VPCD_PORTS, VPCD_READERS } from '../tests/helpers/vcard/isolated-pcscd.js';
import type { VirtualCardConfig } from '../tests/helpers/vcard/main.js';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-pyscard is installed
const seconds = Number(process.argv[2] ?? 1);
const rounds = 3;
const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const sub = { k: Buffer.from(K, 'hex'), opc: Buffer.from(OPC, 'hex'), amf: Buffer.from('8000', 'hex') };
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
const content: CardContent = {
  imsi: '001010000000001', mncLength: 2,
  isim: { impi: `001010000000001@${DOMAIN}`, domain: DOMAIN, impus: [`sip:+15550001@${DOMAIN}`] },
};

// Each challenge is acceptable once: SEQ counts up over the whole run (IND 0).
let seq = 1;
function challenges(n: number): { rand: Buffer; autn: Buffer; xres: Buffer }[] {
  return Array.from({ length: n }, () => authVector(sub, randomBytes(16), BigInt(seq++) * 32n));
}

const PY = String.raw`
import json, sys, time
from smartcard.System import readers
from smartcard.scard import SCARD_LEAVE_CARD
cfg = json.load(sys.stdin)
reader = [r for r in readers() if str(r) == cfg['reader']][0]
conn = reader.createConnection()
conn.connect(disposition=SCARD_LEAVE_CARD)  # leave the card powered for the other client
aid = list(bytes.fromhex(cfg['aid']))
select = [0x00, 0xA4, 0x04, 0x0C, len(aid)] + aid
def run(apdu):
    data, sw1, sw2 = conn.transmit(apdu)
    while sw1 == 0x61:
        more, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        data += more
    return data, (sw1 << 8) | sw2
good = 0
if cfg['mode'] == 'auth':
    work = [(bytes.fromhex(c['rand']), bytes.fromhex(c['autn']), bytes.fromhex(c['xres'])) for c in cfg['challenges']]
    start = time.perf_counter()
    for rand, autn, xres in work:
        _, sw = run(select)
        if sw != 0x9000: raise Exception('SELECT %04X' % sw)
        data, sw = run([0x00, 0x88, 0x00, 0x81, 34, 16] + list(rand) + [16] + list(autn) + [0x00])
        if sw == 0x9000 and data[0] == 0xDB and bytes(data[2:2 + data[1]]) == xres: good += 1
    n = len(work)
else:
    n = cfg['count']
    start = time.perf_counter()
    for _ in range(n):
        _, sw = run(select)
        if sw == 0x9000: good += 1
elapsed = time.perf_counter() - start
conn.disconnect()
print(json.dumps({'ops': n / elapsed, 'good': good, 'n': n}))
`;

/** Runs the pyscard peer; asynchronously, so this process keeps draining pcscd's and the card's pipes. */
async function pyscard(socket: string, input: object): Promise<{ ops: number; good: number; n: number }> {
  const child = spawn(PYTHON, ['-c', PY], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PCSCLITE_CSOCK_NAME: socket } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(JSON.stringify({ reader: VPCD_READERS[0], aid: ISIM_AID.toString('hex'), ...input }));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`pyscard peer failed: ${stderr}`);
  const out = JSON.parse(stdout) as { ops: number; good: number; n: number };
  if (out.good !== out.n) throw new Error(`pyscard peer: ${out.n - out.good} of ${out.n} commands did not succeed`);
  return out;
}

async function oursAuth(sim: PcscSim, n: number): Promise<number> {
  const work = challenges(n);
  const start = performance.now();
  for (const c of work) {
    const r = await sim.authenticate(c.rand, c.autn);
    if (r.kind !== 'ok' || !r.res.equals(c.xres)) throw new Error(`AUTHENTICATE did not succeed: ${r.kind}`);
  }
  return n / ((performance.now() - start) / 1000);
}

async function oursSelect(conn: PcscConnection, n: number): Promise<number> {
  const t = (a: Buffer): Promise<Buffer> => conn.transmit(a);
  const start = performance.now();
  for (let i = 0; i < n; i++) await exchangeOk(t, reselectAid(ISIM_AID), 'SELECT ISIM');
  return n / ((performance.now() - start) / 1000);
}

async function openWaiting<T>(open: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 8000;
  for (;;) {
    try {
      return await open();
    } catch (e) {
      if (!(e instanceof ReaderError && (e.cause === 'no-reader' || e.cause === 'no-card')) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

if (process.getuid?.() !== 0) {
  console.error('bench/auth-pcsc.ts needs root (it runs its own pcscd in network and mount namespaces)');
  process.exit(1);
}
const shm = mkdtempSync('/dev/shm/imsd-bench-pcsc-'); // the card's SQN file: keep its fsync out of the figure
const pcscd = await IsolatedPcscd.start({ debug: process.env.IMSD_BENCH_DEBUG === '1' });
const card = (() => {
  const config: VirtualCardConfig = {
    port: VPCD_PORTS[0], content,
    softSim: { imsi: content.imsi, mncLength: content.mncLength, k: K, opc: OPC, stateFile: join(shm, 'sqn.json') },
  };
  const path = join(pcscd.dir, 'card.json');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return pcscd.spawnInNetns(process.execPath, ['--import', 'tsx', 'tests/helpers/vcard/main.ts', path], { stdio: ['pipe', 'pipe', 'inherit'] });
})();
try {
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: card.stdout! }).once('line', () => resolve());
    card.once('exit', (code) => reject(new Error(`virtual card exited (${code})`)));
  });
  const sim = await openWaiting(() => PcscSim.open({ socket: pcscd.socket, reader: VPCD_READERS[0] }));
  const conn = await openWaiting(() => PcscConnection.open({ socket: pcscd.socket, reader: VPCD_READERS[0] }));
  const pyVersion = spawnSync(PYTHON, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).stdout.trim();
  const pyscardVersion = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'python3-pyscard'], { encoding: 'utf8' }).stdout.trim();
  console.log(`node ${process.version}; peer: Debian python3-pyscard ${pyscardVersion} on Python ${pyVersion}; pcsc-lite ${spawnSync('pcscd', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.replace(/.*version /, '').replace(/\.$/, '')}; best of ${rounds} samples of ~${seconds}s`);

  // size the samples from a short probe of each side
  const probe = 100;
  const nOurs = Math.max(100, Math.round((await oursAuth(sim, probe)) * seconds));
  const nPy = Math.max(100, Math.round((await pyscard(pcscd.socket, { mode: 'auth', challenges: hexed(challenges(probe)) })).ops * seconds));
  const bestAuth = [0, 0];
  const bestSel = [0, 0];
  for (let r = 0; r < rounds; r++) {
    bestAuth[0] = Math.max(bestAuth[0]!, await oursAuth(sim, nOurs));
    bestAuth[1] = Math.max(bestAuth[1]!, (await pyscard(pcscd.socket, { mode: 'auth', challenges: hexed(challenges(nPy)) })).ops);
    bestSel[0] = Math.max(bestSel[0]!, await oursSelect(conn, nOurs * 2));
    bestSel[1] = Math.max(bestSel[1]!, (await pyscard(pcscd.socket, { mode: 'select', count: nPy * 2 })).ops);
  }
  console.log(`\n${'through pcscd + vpcd'.padEnd(44)}${'imsd ops/s'.padStart(12)}${'pyscard ops/s'.padStart(15)}${'ratio'.padStart(9)}${'imsd ms/op'.padStart(12)}`);
  const row = (name: string, [ours, py]: number[]): void => console.log(
    `${name.padEnd(44)}${ours!.toFixed(0).padStart(12)}${py!.toFixed(0).padStart(15)}${(ours! / py!).toFixed(2).padStart(8)}x${(1000 / ours!).toFixed(3).padStart(12)}`,
  );
  row('AUTHENTICATE (SELECT ISIM + 88 + C0)', bestAuth);
  row('one APDU (SELECT ISIM, P2 0C)', bestSel);
  conn.close();
  await sim.close();
} catch (e) {
  if (process.env.IMSD_BENCH_DEBUG === '1') console.error(pcscd.log);
  throw e;
} finally {
  card.stdin!.end();
  await pcscd.stop();
  rmSync(shm, { recursive: true, force: true });
}

function hexed(list: { rand: Buffer; autn: Buffer; xres: Buffer }[]): object[] {
  return list.map((c) => ({ rand: c.rand.toString('hex'), autn: c.autn.toString('hex'), xres: c.xres.toString('hex') }));
}
