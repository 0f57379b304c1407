// Soft-SIM IMS AKA + AKAv1-MD5 digest per authentication, against an independent implementation
// measured in the same run: Milenage, the AUTN check and the RFC 2617 digest written in Python on
// Debian's python3-cryptography (AES) and hashlib (MD5). Figures, not pass/fail:
//   npx tsx bench/auth-softsim.ts [seconds-per-sample]
// Rows: (1) computation only (AUTN check, RES/CK/IK, digest response); (2) the same plus the
// durable SQN state write a soft SIM makes per accepted challenge (ours: SoftSim's JSON temp file,
// fsync, rename, directory fsync; Python: the same steps).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate as akaAuthenticate } from '../daemon/auth/aka.js';
import { computeResponse } from '../daemon/auth/digest.js';
import { Milenage } from '../daemon/auth/milenage.js';
import { SoftSim } from '../daemon/auth/sim/soft-sim.js';
import { initialSqnState } from '../daemon/auth/sqn.js';
import { authVector } from '../lab/hss/aka-vectors.js';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-cryptography is installed
const seconds = Number(process.argv[2] ?? 1);
const rounds = 3;

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const sub = { k: Buffer.from(K, 'hex'), opc: Buffer.from(OPC, 'hex'), amf: Buffer.from('8000', 'hex') };
const USER = '001010000000001@ims.mnc001.mcc001.3gppnetwork.org';
const REALM = 'ims.mnc001.mcc001.3gppnetwork.org';
const URI = 'sip:ims.mnc001.mcc001.3gppnetwork.org';
const CNONCE = '0a4f113b';

interface Challenge { rand: Buffer; autn: Buffer; nonce: string }
/** Vectors with SQN = SEQ || IND, SEQ counting up from `firstSeq`, IND 0: each acceptable once, in order. */
function challenges(count: number, firstSeq: number): Challenge[] {
  return Array.from({ length: count }, (_, i) => {
    const v = authVector(sub, randomBytes(16), BigInt(firstSeq + i) * 32n);
    return { rand: v.rand, autn: v.autn, nonce: Buffer.concat([v.rand, v.autn]).toString('base64') };
  });
}

const digest = (res: Buffer, nonce: string): string => computeResponse({
  username: USER, realm: REALM, password: res, method: 'REGISTER', uri: URI, nonce, qop: 'auth', nc: 1, cnonce: CNONCE,
});

// The independent implementation (TS 35.206 Milenage, TS 33.102 6.3.3 AUTN check, RFC 2617 3.2.2).
const PY = String.raw`
import hashlib, json, os, sys, time
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
cfg = json.load(sys.stdin)
k, opc = bytes.fromhex(cfg['k']), bytes.fromhex(cfg['opc'])
E = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
def x(a, b): return bytes(i ^ j for i, j in zip(a, b))
def rot(v, r): r //= 8; return v[r:] + v[:r]
C = [bytes(15) + bytes([c]) for c in (0, 1, 2, 4, 8)]
R = [64, 0, 32, 64, 96]
def out(temp, i): return x(E.update(x(rot(x(temp, opc), R[i]), C[i])), opc)
seq_ms = [0] * 32
def aka(rand, autn):
    temp = E.update(x(rand, opc))
    o2 = out(temp, 1)
    res, ak = o2[8:16], o2[0:6]
    sqn, amf, mac = x(autn[0:6], ak), autn[6:8], autn[8:16]
    in1 = sqn + amf + sqn + amf
    o1 = x(E.update(x(x(temp, rot(x(in1, opc), R[0])), C[0])), opc)
    if o1[0:8] != mac: raise Exception('MAC')
    n = int.from_bytes(sqn, 'big'); seq, ind = n >> 5, n & 31
    if seq <= seq_ms[ind]: raise Exception('SQN')
    seq_ms[ind] = seq
    return res, out(temp, 2), out(temp, 3)
def md5(*parts): return hashlib.md5(b':'.join(p if isinstance(p, bytes) else p.encode() for p in parts)).hexdigest()
def digest(res, nonce):
    ha1 = md5(cfg['user'], cfg['realm'], res)
    ha2 = md5('REGISTER', cfg['uri'])
    return md5(ha1, nonce, '00000001', cfg['cnonce'], 'auth', ha2)
state = cfg.get('stateFile')
def persist():
    tmp = state + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (json.dumps({'version': 1, 'seqMs': seq_ms}) + '\n').encode())
    os.fsync(fd); os.close(fd); os.rename(tmp, state)
    d = os.open(os.path.dirname(state), os.O_RDONLY); os.fsync(d); os.close(d)
chs = [(bytes.fromhex(c['rand']), bytes.fromhex(c['autn']), c['nonce']) for c in cfg['challenges']]
responses = []
start = time.perf_counter()
for rand, autn, nonce in chs:
    res, ck, ik = aka(rand, autn)
    if state: persist()
    responses.append(digest(res, nonce))
elapsed = time.perf_counter() - start
print(json.dumps({'ops': len(chs) / elapsed, 'responses': responses[:5]}))
`;

function python(list: Challenge[], stateFile?: string): { ops: number; responses: string[] } {
  const input = JSON.stringify({
    k: K, opc: OPC, user: USER, realm: REALM, uri: URI, cnonce: CNONCE, ...(stateFile ? { stateFile } : {}),
    challenges: list.map((c) => ({ rand: c.rand.toString('hex'), autn: c.autn.toString('hex'), nonce: c.nonce })),
  });
  const r = spawnSync(PYTHON, ['-c', PY], { input, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`python peer failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ops: number; responses: string[] };
}

function oursCompute(list: Challenge[]): { ops: number; responses: string[] } {
  const keys = new Milenage(sub.k, sub.opc); // keyed once, as the Python peer keys its AES once
  let state = initialSqnState();
  const responses: string[] = [];
  const start = performance.now();
  for (const c of list) {
    const r = akaAuthenticate(keys, c.rand, c.autn, state);
    if (r.kind !== 'ok') throw new Error(`challenge refused: ${r.kind}`);
    state = r.state;
    responses.push(digest(r.res, c.nonce));
  }
  return { ops: list.length / ((performance.now() - start) / 1000), responses: responses.slice(0, 5) };
}

async function oursSoftSim(list: Challenge[], stateFile: string): Promise<{ ops: number; responses: string[] }> {
  rmSync(stateFile, { force: true });
  const sim = await SoftSim.open({ imsi: '001010000000001', mncLength: 2, k: K, opc: OPC, stateFile });
  const responses: string[] = [];
  const start = performance.now();
  for (const c of list) {
    const r = await sim.authenticate(c.rand, c.autn);
    if (r.kind !== 'ok') throw new Error(`challenge refused: ${r.kind}`);
    responses.push(digest(r.res, c.nonce));
  }
  const ops = list.length / ((performance.now() - start) / 1000);
  await sim.close();
  return { ops, responses: responses.slice(0, 5) };
}

/** Sizes a sample so that it lasts about `seconds` at the rate a probe run shows. */
function sized(probeOps: number): number {
  return Math.max(50, Math.round(probeOps * seconds));
}

const dir = mkdtempSync(join(tmpdir(), 'imsd-bench-auth-'));
try {
  const pyVersion = execFileSync(PYTHON, ['-c', 'import sys, cryptography; print(sys.version.split()[0], cryptography.__version__)'], { encoding: 'utf8' }).trim().split(' ');
  const fsType = execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  console.log(`node ${process.version}; peer: Python ${pyVersion[0]} + python3-cryptography ${pyVersion[1]} (Debian); best of ${rounds} samples of ~${seconds}s; state files in ${dir} (${fsType})`);

  // Both sides must compute the same digest responses for the same challenges.
  const check = challenges(5, 1);
  const a = oursCompute(check).responses;
  const b = python(check).responses;
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('the Python peer computes different digest responses');

  const rows: [string, number, number][] = [];
  {
    const nOurs = sized(oursCompute(challenges(200, 1)).ops);
    const nPy = sized(python(challenges(200, 1)).ops);
    let best = [0, 0];
    for (let r = 0; r < rounds; r++) {
      best = [Math.max(best[0]!, oursCompute(challenges(nOurs, 1)).ops), Math.max(best[1]!, python(challenges(nPy, 1)).ops)];
    }
    rows.push(['AKA + AKAv1-MD5 digest (compute)', best[0]!, best[1]!]);
  }
  {
    const file = join(dir, 'sqn.json');
    const nOurs = sized((await oursSoftSim(challenges(50, 1), file)).ops);
    const nPy = sized(python(challenges(50, 1), join(dir, 'py-sqn.json')).ops);
    let best = [0, 0];
    for (let r = 0; r < rounds; r++) {
      best = [Math.max(best[0]!, (await oursSoftSim(challenges(nOurs, 1), file)).ops), Math.max(best[1]!, python(challenges(nPy, 1), join(dir, 'py-sqn.json')).ops)];
    }
    rows.push(['+ SQN state fsync (SoftSim)', best[0]!, best[1]!]);
  }

  console.log(`\n${'per authentication'.padEnd(36)}${'imsd ops/s'.padStart(12)}${'Python ops/s'.padStart(14)}${'ratio'.padStart(9)}${'imsd µs/op'.padStart(13)}`);
  for (const [name, ours, py] of rows) {
    console.log(`${name.padEnd(36)}${ours.toFixed(0).padStart(12)}${py.toFixed(0).padStart(14)}${(ours / py).toFixed(2).padStart(8)}x${(1e6 / ours).toFixed(1).padStart(13)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
