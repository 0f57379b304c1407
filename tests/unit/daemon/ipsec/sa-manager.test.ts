// XfrmIpsecManager against a fake XFRM table: which SAs and policies it asks for (TS 33.203 7.1),
// rollback, removal, stale removal by reqid mark, SPI allocation, typed errors without keys.
import assert from 'node:assert/strict';
import { XfrmIpsecManager } from '../../../../daemon/ipsec/sa-manager.js';
import { IpsecError, IpsecInputError, type SaSetSpec } from '../../../../daemon/ipsec/types.js';
import { XFRM_MSG_NEWPOLICY, XFRM_MSG_NEWSA } from '../../../../daemon/ipsec/xfrm/constants.js';
import { parsePolicy } from '../../../../daemon/ipsec/xfrm/policy.js';
import { buildNewSa, parseSa } from '../../../../daemon/ipsec/xfrm/state.js';
import { FakeKernel } from './fake-kernel.js';

const IK = Buffer.from('5a5b5c5d5e5f60616263646566676869', 'hex');
const CK = Buffer.from('a1a2a3a4a5a6a7a8a9aaabacadaeafb0', 'hex');
const spec = (): SaSetSpec => ({
  ue: { address: '10.1.0.2', portC: 5100, portS: 5101, spiC: 0x1111, spiS: 0x2222 },
  pcscf: { address: '10.1.0.1', portC: 5200, portS: 5201, spiC: 0x3333, spiS: 0x4444 },
  integrity: 'hmac-sha-1-96', encryption: 'aes-cbc', ik: IK, ck: CK,
});
const noKey = (text: string) => {
  for (const k of [IK, CK]) assert.ok(!text.toLowerCase().includes(k.toString('hex').slice(0, 12)), `a key in: ${text}`);
};

describe('daemon/ipsec/sa-manager (fake XFRM tables)', () => {
  it('install(): four transport-mode ESP SAs with the receivers\' SPIs and eight policies (UDP and TCP), all marked', async () => {
    const k = new FakeKernel();
    const logs: string[] = [];
    const m = new XfrmIpsecManager(k, { random: () => 5, log: (l) => logs.push(l) });
    const set = await m.install(spec());
    assert.deepEqual(Object.keys(set).sort(), ['encryption', 'id', 'integrity', 'pcscf', 'ue']);
    const sas = k.sent.filter((x) => x.type === XFRM_MSG_NEWSA).map(parseSa);
    assert.deepEqual(sas.map((s) => [s.src, s.dst, s.spi, s.mode, s.replayWindow, s.authName, s.encName]), [
      ['10.1.0.2', '10.1.0.1', 0x4444, 0, 32, 'hmac(sha1)', 'cbc(aes)'], // UE port-c -> P-CSCF port-s: P-CSCF's spi-s
      ['10.1.0.2', '10.1.0.1', 0x3333, 0, 32, 'hmac(sha1)', 'cbc(aes)'], // UE port-s -> P-CSCF port-c: P-CSCF's spi-c
      ['10.1.0.1', '10.1.0.2', 0x2222, 0, 32, 'hmac(sha1)', 'cbc(aes)'], // P-CSCF port-c -> UE port-s: UE's spi-s
      ['10.1.0.1', '10.1.0.2', 0x1111, 0, 32, 'hmac(sha1)', 'cbc(aes)'], // P-CSCF port-s -> UE port-c: UE's spi-c
    ]);
    assert.equal(new Set(sas.map((s) => s.reqid)).size, 4);
    for (const s of sas) assert.equal(s.reqid >>> 16, 0x494d);
    const pols = k.sent.filter((x) => x.type === XFRM_MSG_NEWPOLICY).map(parsePolicy);
    for (const p of pols) assert.equal(p.selector.proto === 17 || p.selector.proto === 6, true);
    assert.deepEqual(pols.map((p) => [p.dir, p.selector.proto, p.selector.sport, p.selector.dport]), [
      ['out', 17, 5100, 5201], ['out', 6, 5100, 5201], ['out', 17, 5101, 5200], ['out', 6, 5101, 5200],
      ['in', 17, 5200, 5101], ['in', 6, 5200, 5101], ['in', 17, 5201, 5100], ['in', 6, 5201, 5100],
    ]);
    pols.forEach((p, i) => assert.equal(p.tmpls[0].reqid, sas[Math.floor(i / 2)].reqid, 'each policy names its SA by reqid'));
    assert.equal(k.sas.size, 4);
    assert.equal(k.policies.size, 8);
    logs.forEach(noKey);
    assert.match(logs.join('\n'), /set 1 installed/);

    await m.remove(set);
    assert.equal(k.sas.size + k.policies.size, 0);
    const before = k.changes().length;
    await m.remove(set);
    assert.equal(k.changes().length, before, 'removing twice sends nothing');
  });

  it('a refusal half-way (EEXIST on the third SA) rolls back and is a typed IpsecError without keys', async () => {
    const k = new FakeKernel();
    k.failures = [{ type: XFRM_MSG_NEWSA, nth: 2, errno: 17 }];
    const m = new XfrmIpsecManager(k);
    await assert.rejects(m.install(spec()), (e: unknown) => {
      assert.ok(e instanceof IpsecError);
      assert.deepEqual([e.operation, e.errno], ['add-sa', 17]);
      assert.match(e.message, /SA 10\.1\.0\.1 -> 10\.1\.0\.2 spi 0x2222/);
      noKey(e.message + JSON.stringify(e));
      return true;
    });
    assert.equal(k.sas.size + k.policies.size, 0, 'nothing half-installed');
  });

  it('bad input is refused before anything reaches the kernel', async () => {
    const k = new FakeKernel();
    const m = new XfrmIpsecManager(k);
    const bad: SaSetSpec[] = [
      { ...spec(), integrity: 'hmac-sha-256' as never },
      { ...spec(), ik: IK.subarray(0, 10) },
      { ...spec(), ue: { ...spec().ue, spiC: 7 } },
      { ...spec(), ue: { ...spec().ue, portS: 70000 } },
      { ...spec(), pcscf: { ...spec().pcscf, address: 'fd00::1' } },
    ];
    for (const b of bad) await assert.rejects(m.install(b), IpsecInputError);
    assert.deepEqual(k.changes(), []);
  });

  it("removeStale(): removes SAs and policies of imsd's reqid range that no live set owns, keeps live and foreign ones", async () => {
    const k = new FakeKernel();
    const crashed = new XfrmIpsecManager(k, { random: () => 100 });
    await crashed.install(spec()); // a crashed run's set: never removed
    const foreign = buildNewSa({ src: '10.1.0.2', dst: '10.1.0.1', spi: 0x9999, reqid: 9, authName: 'hmac(md5)', authKey: Buffer.alloc(16), authTruncBits: 96,
      encName: 'ecb(cipher_null)', encKey: Buffer.alloc(0) }, 1);
    await k.request('add-sa', () => foreign, '');
    const m = new XfrmIpsecManager(k, { random: () => 100 });
    const live = await m.install({ ...spec(), ue: { ...spec().ue, portC: 6100, portS: 6101, spiC: 0x5555, spiS: 0x6666 },
      pcscf: { ...spec().pcscf, spiC: 0x7777, spiS: 0x8888 } });
    assert.equal(k.sas.size, 9);
    const liveReqids = k.sent.filter((x) => x.type === XFRM_MSG_NEWSA).map(parseSa).slice(-4).map((s) => s.reqid);
    const crashedReqids = k.sent.filter((x) => x.type === XFRM_MSG_NEWSA).map(parseSa).slice(0, 4).map((s) => s.reqid);
    assert.ok(liveReqids.every((r) => !crashedReqids.includes(r)), 'a new set does not reuse reqids still in the kernel');
    assert.equal(await m.removeStale(), 12);
    assert.deepEqual([...k.sas.values()].map((x) => parseSa(x).spi).sort(), [0x5555, 0x6666, 0x7777, 0x8888, 0x9999].sort());
    assert.equal(k.policies.size, 8);
    assert.equal(await m.removeStale(), 0);
    await m.remove(live);
    assert.deepEqual([...k.sas.values()].map((x) => parseSa(x).spi), [0x9999]);
  });

  it('allocateSpis(): skips SPIs in the kernel and SPIs already handed out', async () => {
    const k = new FakeKernel();
    await k.request('add-sa', () => buildNewSa({ src: '10.1.0.1', dst: '10.1.0.2', spi: 0x1000 + 1, reqid: 1, authName: 'hmac(md5)',
      authKey: Buffer.alloc(16), authTruncBits: 96, encName: 'ecb(cipher_null)', encKey: Buffer.alloc(0) }, 1), '');
    const draws = [0 /* the reqid slot */, 1, 2, 2, 3, 4]; // SPI = 0x1000 + draw
    const m = new XfrmIpsecManager(k, { random: () => draws.shift() ?? 9 });
    assert.deepEqual(await m.allocateSpis(), { spiC: 0x1002, spiS: 0x1003 });
    assert.deepEqual(await m.allocateSpis(), { spiC: 0x1004, spiS: 0x1009 });
  });

  it('close(): removes the live sets, closes the socket, refuses further work', async () => {
    const k = new FakeKernel();
    const m = new XfrmIpsecManager(k);
    await m.install(spec());
    await m.close();
    assert.equal(k.sas.size + k.policies.size, 0);
    assert.ok(k.closed);
    await assert.rejects(m.install(spec()), (e: unknown) => e instanceof IpsecError && e.code === 'closed');
    await m.close();
  });
});
