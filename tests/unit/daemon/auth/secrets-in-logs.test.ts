// The rule, tested end to end: K, OPc, CK, IK and RES never appear in logs or error
// messages — not even at debug level, not even when code logs a whole authentication result.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { xor } from '../../../../daemon/auth/bytes.js';
import { akaPassword, computeResponse, decodeAkaNonce, formatAuthorization } from '../../../../daemon/auth/digest.js';
import { milenage } from '../../../../daemon/auth/milenage.js';
import { SoftSim } from '../../../../daemon/auth/sim/soft-sim.js';
import { numberToSqn } from '../../../../daemon/auth/sqn.js';
import { createLogger } from '../../../../daemon/log/logger.js';

// TS 35.208 test set 3 (its RES holds no byte that could be mistaken for text)
const K = 'fec86ba6eb707ed08905757b1bb44b8f';
const OPC = '1006020f0a478bf6b699f15c062e42b3';
const RAND = Buffer.from('9f7c8d021accf4db213ccff0c7f71a6a', 'hex');
const AMF = Buffer.from('8000', 'hex');

function challenge(sqn: number): { rand: Buffer; autn: Buffer; nonce: string } {
  const m = milenage(Buffer.from(K, 'hex'), Buffer.from(OPC, 'hex'), RAND, numberToSqn(sqn), AMF);
  const autn = Buffer.concat([xor(numberToSqn(sqn), m.ak), AMF, m.macA]);
  return { rand: RAND, autn, nonce: Buffer.concat([RAND, autn]).toString('base64') };
}

function forms(b: Buffer): string[] {
  return [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64').replace(/=+$/, '')];
}

describe('auth: secrets never reach logs', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'imsd-secrets-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('a full AKA + AKAv1/AKAv2 digest run at debug level logs none of K, OPc, CK, IK, RES', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => { text += d.toString('utf8'); });
    const log = createLogger({ level: 'debug', stream: out, component: 'auth' });
    const sim = await SoftSim.open({ imsi: '001010000000003', mncLength: 2, k: K, opc: OPC, stateFile: join(dir, 'sqn.json'), logger: log.child('sim') });
    const secrets: Buffer[] = [Buffer.from(K, 'hex'), Buffer.from(OPC, 'hex')];
    const errors: string[] = [];

    const { nonce } = challenge(0x20);
    const { rand, autn } = decodeAkaNonce(nonce);
    const r = await sim.authenticate(rand, autn);
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    secrets.push(r.res, r.ck, r.ik);
    for (const alg of ['AKAv1-MD5', 'AKAv2-MD5'] as const) {
      const password = akaPassword(alg, r.res, r.ik, r.ck);
      const response = computeResponse({ username: 'u@ims.example', realm: 'ims.example', password, method: 'REGISTER', uri: 'sip:ims.example', nonce, qop: 'auth', nc: 1, cnonce: 'abc' });
      const header = formatAuthorization({ username: 'u@ims.example', realm: 'ims.example', nonce, uri: 'sip:ims.example', response, algorithm: alg, qop: 'auth', nc: 1, cnonce: 'abc' });
      // What a careless caller might do: log the whole result, the password and the values as text.
      log.debug('authorization built', { header, result: r, password });
      log.debug(`RES was ${r.res.toString('hex')} and CK ${r.ck.toString('base64')}, IK ${r.ik.toString('hex').toUpperCase()}`);
    }
    log.info('keys', { k: K, opc: OPC, K: K.toUpperCase() });
    log.info(`configured with ${K} / ${OPC}`);

    // replay → sync failure (logged at info with AUTS), then a forged MAC → warning
    assert.equal((await sim.authenticate(rand, autn)).kind, 'sync-failure');
    const forged = Buffer.from(autn);
    forged[15] ^= 1;
    assert.equal((await sim.authenticate(rand, forged)).kind, 'mac-failure');
    // errors raised on bad input must not echo the values either
    for (const bad of [{ k: `${K}00` }, { opc: OPC.slice(2) }, { k: K.replace(/^f/, 'x') }]) {
      await SoftSim.open({ imsi: '001010000000003', mncLength: 2, k: K, opc: OPC, stateFile: join(dir, 'x.json'), ...bad })
        .then(() => assert.fail('accepted a bad key'), (e: Error) => { errors.push(e.message); log.error('soft SIM failed', { error: e }); });
    }
    await sim.close();
    await new Promise((res) => setImmediate(res));

    const lines = text.split('\n').filter(Boolean);
    assert.ok(lines.some((l) => l.startsWith('<7>[auth/sim] AKA challenge accepted rand=9f7c8d02')), text);
    assert.ok(lines.some((l) => l.startsWith('<6>[auth/sim] AKA challenge has a stale SQN')), text);
    assert.ok(lines.some((l) => l.startsWith('<4>[auth/sim] AKA challenge rejected: MAC')), text);
    assert.equal(lines.filter((l) => l.includes('authorization built')).length, 2);
    assert.equal(errors.length, 3);
    const haystack = `${text}\n${errors.join('\n')}`;
    for (const s of secrets) {
      for (const f of forms(s)) assert.ok(!haystack.includes(f), `a secret (${s.length} bytes) leaked into the log`);
    }
  });
});
