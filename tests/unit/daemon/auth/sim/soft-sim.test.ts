import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { SimStateError, SoftSim, type SoftSimConfig } from '../../../../../daemon/auth/sim/soft-sim.js';
import { AuthError, AuthInputError } from '../../../../../daemon/auth/errors.js';
import { computeOpc, milenage } from '../../../../../daemon/auth/milenage.js';
import { numberToSqn } from '../../../../../daemon/auth/sqn.js';
import { xor } from '../../../../../daemon/auth/bytes.js';

// TS 35.208 test set 1.
const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OP = 'cdc202d5123e20f62b6d676ac72cb318';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const kBuf = Buffer.from(K, 'hex');
const opcBuf = Buffer.from(OPC, 'hex');
const rand = Buffer.from('23553cbe9637a89d218ae64dae47bf35', 'hex');
const amf = Buffer.from('8000', 'hex');
const IMSI = '001010000000001';

function autnFor(sqn: number, r = rand): Buffer {
  const m = milenage(kBuf, opcBuf, r, numberToSqn(sqn), amf);
  return Buffer.concat([xor(numberToSqn(sqn), m.ak), amf, m.macA]);
}

describe('auth/sim/soft-sim', () => {
  let dir: string;
  let stateFile: string;
  const config = (extra: Partial<SoftSimConfig> = {}): SoftSimConfig =>
    ({ imsi: IMSI, mncLength: 2, k: K, opc: OPC, amf: '8000', stateFile, ...extra });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imsd-softsim-'));
    stateFile = join(dir, 'sqn.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('derives identities from the IMSI and honours overrides', async () => {
    const sim = await SoftSim.open(config());
    assert.deepEqual(await sim.identities(), {
      impi: '001010000000001@ims.mnc001.mcc001.3gppnetwork.org',
      impus: ['sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org'],
      homeDomain: 'ims.mnc001.mcc001.3gppnetwork.org',
      pcscf: [],
      imsi: IMSI,
      source: 'soft',
    });
    const over = await SoftSim.open(config({
      impi: 'alice@example.net', impus: ['sip:alice@example.net', 'tel:+15551234'],
      homeDomain: 'example.net', pcscf: ['pcscf.example.net'],
    }));
    const ids = await over.identities();
    assert.equal(ids.impi, 'alice@example.net');
    assert.deepEqual(ids.impus, ['sip:alice@example.net', 'tel:+15551234']);
    assert.equal(ids.homeDomain, 'example.net');
    assert.deepEqual(ids.pcscf, ['pcscf.example.net']);
  });

  it('answers a fresh AUTN with the Milenage RES, CK, IK (OPc or OP configured)', async () => {
    const m = milenage(kBuf, opcBuf, rand, numberToSqn(5 * 32 + 3), amf);
    for (const keyConf of [{ opc: OPC }, { opc: undefined, op: OP }]) {
      await rm(stateFile, { force: true });
      const sim = await SoftSim.open(config(keyConf));
      const r = await sim.authenticate(rand, autnFor(5 * 32 + 3));
      assert.equal(r.kind, 'ok');
      if (r.kind !== 'ok') return;
      assert.ok(r.res.equals(m.res) && r.ck.equals(m.ck) && r.ik.equals(m.ik));
      await sim.close();
    }
    assert.ok(computeOpc(kBuf, Buffer.from(OP, 'hex')).equals(opcBuf));
  });

  it('persists the SQN array before answering: a new instance on the same file rejects the replay', async () => {
    const autn = autnFor(7 * 32 + 1);
    const first = await SoftSim.open(config());
    assert.equal((await first.authenticate(rand, autn)).kind, 'ok');
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { seqMs: number[] };
    assert.equal(saved.seqMs[1], 7);
    assert.equal((await stat(stateFile)).mode & 0o777, 0o600);

    const second = await SoftSim.open(config());
    const r = await second.authenticate(rand, autn);
    assert.equal(r.kind, 'sync-failure');
    if (r.kind === 'sync-failure') assert.equal(r.auts.length, 14);
    assert.equal((await second.authenticate(rand, autnFor(8 * 32 + 1))).kind, 'ok');
  });

  it('reports mac-failure for a tampered AUTN and does not touch the state file', async () => {
    const sim = await SoftSim.open(config());
    const autn = autnFor(9 * 32);
    autn[12]! ^= 0x40;
    assert.deepEqual(await sim.authenticate(rand, autn), { kind: 'mac-failure', cause: 'mac' });
    await assert.rejects(readFile(stateFile), { code: 'ENOENT' });
  });

  it('folds an AMF rejected by the policy into mac-failure with cause amf', async () => {
    const sim = await SoftSim.open(config({
      policy: { indBits: 5, delta: 2 ** 28, requireSeparationBit: true },
    }));
    const m = milenage(kBuf, opcBuf, rand, numberToSqn(64), Buffer.alloc(2));
    const autn = Buffer.concat([xor(numberToSqn(64), m.ak), Buffer.alloc(2), m.macA]);
    assert.deepEqual(await sim.authenticate(rand, autn), { kind: 'mac-failure', cause: 'amf' });
  });

  it('writes the state atomically and leaves no temp files behind', async () => {
    const sim = await SoftSim.open(config());
    const runs = [1, 2, 3, 4, 5].map((seq) => sim.authenticate(rand, autnFor(seq * 32 + seq)));
    for (const r of await Promise.all(runs)) assert.equal(r.kind, 'ok');
    assert.deepEqual(await readdir(dir), ['sqn.json']);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { seqMs: number[] };
    assert.deepEqual(saved.seqMs.slice(1, 6), [1, 2, 3, 4, 5]);
  });

  it('does not answer ok when the state cannot be written, and cleans up its temp file', async () => {
    const sim = await SoftSim.open(config());
    // A non-empty directory where the state file should be makes the rename fail (also as root).
    await mkdir(stateFile);
    await writeFile(join(stateFile, 'keep'), '');
    await assert.rejects(sim.authenticate(rand, autnFor(3 * 32)), (e: unknown) =>
      e instanceof SimStateError && e.message.includes(stateFile));
    assert.deepEqual(await readdir(dir), ['sqn.json']);
    await rm(stateFile, { recursive: true });
    // The failed answer did not consume the AUTN.
    assert.equal((await sim.authenticate(rand, autnFor(3 * 32))).kind, 'ok');
  });

  it('rejects a corrupt state file with a typed error naming the file', async () => {
    for (const body of ['{not json', '{"version":1,"seqMs":[1,2]}', '[]', '{"version":1,"seqMs":' + JSON.stringify(new Array(32).fill(-1)) + '}']) {
      await writeFile(stateFile, body);
      await assert.rejects(SoftSim.open(config()), (e: unknown) =>
        e instanceof SimStateError && e instanceof AuthError && e.message.includes(stateFile));
    }
    assert.equal(await readFile(stateFile, 'utf8'), '{"version":1,"seqMs":' + JSON.stringify(new Array(32).fill(-1)) + '}');
  });

  it('rejects bad configuration naming the field, never the value', async () => {
    const cases: [Partial<SoftSimConfig>, RegExp][] = [
      [{ k: K.slice(2) }, /^K /],
      [{ k: 'zz' + K.slice(2) }, /^K /],
      [{ opc: OPC + '00' }, /^OPc /],
      [{ opc: undefined, op: OP.slice(1) }, /^OP /],
      [{ opc: undefined }, /OPc and OP/],
      [{ op: OP }, /OPc and OP/],
      [{ amf: '80' }, /^AMF /],
      [{ imsi: '00101x000000001' }, /IMSI/],
      [{ mncLength: 4 }, /MNC/],
      [{ impus: ['alice@example.net'] }, /IMPU/],
    ];
    for (const [extra, field] of cases) {
      await assert.rejects(SoftSim.open(config(extra)), (e: unknown) => {
        assert.ok(e instanceof AuthInputError, String(e));
        assert.match(e.message, field);
        for (const v of Object.values(extra)) {
          if (typeof v === 'string' && v.length > 3) assert.ok(!e.message.includes(v), e.message);
        }
        return true;
      });
    }
  });

  it('keeps K, OPc and the answers out of errors, JSON and util.inspect', async () => {
    const sim = await SoftSim.open(config());
    const r = await sim.authenticate(rand, autnFor(32));
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    const secrets = [K, OPC, r.res.toString('hex'), r.ck.toString('hex'), r.ik.toString('hex')];
    const texts = [JSON.stringify(sim), inspect(sim, { showHidden: true, depth: Infinity })];
    const replay = await sim.authenticate(rand, autnFor(32));
    assert.equal(replay.kind, 'sync-failure');
    const errors = await Promise.allSettled([
      sim.authenticate(rand.subarray(0, 8), autnFor(64)),
      SoftSim.open(config({ k: K.slice(1) })),
      SoftSim.open(config({ opc: OPC.toUpperCase() + 'x' })),
    ]);
    for (const e of errors) {
      assert.equal(e.status, 'rejected');
      if (e.status === 'rejected') texts.push(String(e.reason), inspect(e.reason));
    }
    await writeFile(stateFile, 'garbage');
    await SoftSim.open(config()).catch((e: unknown) => texts.push(String(e)));
    for (const text of texts) {
      for (const s of secrets) assert.ok(!text.toLowerCase().includes(s), `secret leaked in: ${text}`);
    }
  });

  it('rejects calls after close', async () => {
    const sim = await SoftSim.open(config());
    await sim.close();
    await assert.rejects(sim.authenticate(rand, autnFor(32)), AuthError);
    await assert.rejects(sim.identities(), AuthError);
    await sim.close();
  });
});
