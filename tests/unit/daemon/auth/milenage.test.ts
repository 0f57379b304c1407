import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { computeOpc, milenage } from '../../../../daemon/auth/milenage.js';
import { AuthInputError } from '../../../../daemon/auth/errors.js';

interface TestSet {
  testSet: number;
  k: string; rand: string; sqn: string; amf: string; op: string; opc: string;
  f1: string; f1star: string; f2: string; f3: string; f4: string; f5: string; f5star: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/ts35208-milenage.json', import.meta.url), 'utf8'),
) as { sets: TestSet[] };
const h = (s: string): Buffer => Buffer.from(s, 'hex');

describe('auth/milenage (3GPP TS 35.206)', () => {
  it('has all 20 test sets of TS 35.208', () => {
    assert.deepEqual(fixture.sets.map((s) => s.testSet), Array.from({ length: 20 }, (_, i) => i + 1));
  });

  for (const t of fixture.sets) {
    it(`TS 35.208 test set ${t.testSet}: OPc and f1, f1*, f2, f3, f4, f5, f5*`, () => {
      const opc = computeOpc(h(t.k), h(t.op));
      assert.equal(opc.toString('hex'), t.opc, 'OPc');
      const out = milenage(h(t.k), opc, h(t.rand), h(t.sqn), h(t.amf));
      assert.deepEqual(
        {
          f1: out.macA.toString('hex'), f1star: out.macS.toString('hex'), f2: out.res.toString('hex'),
          f3: out.ck.toString('hex'), f4: out.ik.toString('hex'), f5: out.ak.toString('hex'),
          f5star: out.akStar.toString('hex'),
        },
        { f1: t.f1, f1star: t.f1star, f2: t.f2, f3: t.f3, f4: t.f4, f5: t.f5, f5star: t.f5star },
      );
    });
  }

  it('rejects inputs of the wrong length with a typed error naming the parameter only', () => {
    const t = fixture.sets[0]!;
    assert.throws(() => milenage(h(t.k).subarray(1), h(t.opc), h(t.rand), h(t.sqn), h(t.amf)), (e: unknown) =>
      e instanceof AuthInputError && /^K must be 16 bytes, got 15 bytes$/.test(e.message));
    assert.throws(() => milenage(h(t.k), h(t.opc), h(t.rand), h(t.sqn + '00'), h(t.amf)), /SQN must be 6 bytes/);
    assert.throws(() => computeOpc(h(t.k), Buffer.alloc(0)), /OP must be 16 bytes/);
  });
});
