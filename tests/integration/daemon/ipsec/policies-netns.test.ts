// XFRM policies on the host kernel, in a network namespace of our own: the codec's messages are
// accepted, listed by iproute2 as meant, refused with typed errors (EEXIST, ENOENT, EINVAL), and
// removeStale() removes imsd's only. SAs need ESP, which this host kernel may lack: install() then
// fails with EPROTONOSUPPORT and must leave nothing behind (SAs + ESP traffic: the UML e2e test).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { buildNewPolicy } from '../../../../daemon/ipsec/xfrm/policy.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../../../daemon/ipsec/xfrm/constants.js';
import { command, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { driveInNetns } from './driver.js';

const ip = (args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const IK = '000102030405060708090a0b0c0d0e0f';
const CK = '101112131415161718191a1b1c1d1e1f';
const V4_OUT = {
  selector: { src: '10.20.0.2', dst: '10.20.0.1', proto: IPPROTO_UDP, sport: 5100, dport: 5201 }, dir: 'out',
  tmpl: { src: '10.20.0.2', dst: '10.20.0.1', reqid: 0x494d0001 },
} as const;
const V6_IN = {
  selector: { src: 'fd00:20::1', dst: 'fd00:20::2', proto: IPPROTO_TCP, sport: 5200, dport: 5101 }, dir: 'in',
  tmpl: { src: 'fd00:20::1', dst: 'fd00:20::2', reqid: 0x494d0004 },
} as const;

describe('daemon/ipsec on the host kernel: XFRM policies in a network namespace', function () {
  this.timeout(60_000);
  let ns = '';

  before(function () {
    requirePrerequisites(this, [root(), command('ip')]);
  });
  beforeEach(() => {
    ns = `imsdt-${randomBytes(4).toString('hex')}`;
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  });
  afterEach(() => {
    if (ns) ip(['netns', 'del', ns]);
    ns = '';
  });

  it('adds, lists (as iproute2 shows them), refuses duplicates (EEXIST) and deletes policies; deleting twice is ENOENT', async () => {
    const { steps } = await driveInNetns(ns, [
      { op: 'add-policy', policy: V4_OUT },
      { op: 'add-policy', policy: V6_IN },
      { op: 'add-policy', policy: V4_OUT },
      { op: 'dump-policy' },
    ]);
    assert.deepEqual(steps[0], { ok: null });
    assert.deepEqual(steps[1], { ok: null });
    assert.equal(steps[2].error?.name, 'IpsecError');
    assert.equal(steps[2].error?.operation, 'add-policy');
    assert.equal(steps[2].error?.code, 'EEXIST');
    assert.equal(steps[2].error?.errno, 17);
    const dumped = steps[3].ok as { selector: { src: string; dst: string; sport: number; dport: number; proto: number }; dir: string; tmpls: { reqid: number }[] }[];
    assert.equal(dumped.length, 2);
    const v4 = dumped.find((p) => p.selector.src === '10.20.0.2');
    assert.deepEqual([v4?.dir, v4?.selector.sport, v4?.selector.dport, v4?.selector.proto, v4?.tmpls[0].reqid], ['out', 5100, 5201, 17, 0x494d0001]);
    const v6 = dumped.find((p) => p.selector.src === 'fd00:20::1');
    assert.deepEqual([v6?.dir, v6?.selector.sport, v6?.selector.dport, v6?.selector.proto, v6?.tmpls[0].reqid], ['in', 5200, 5101, 6, 0x494d0004]);

    const listed = ip(['-n', ns, 'xfrm', 'policy', 'list']);
    assert.match(listed, /src 10\.20\.0\.2\/32 dst 10\.20\.0\.1\/32 proto udp sport 5100 dport 5201 \n\s+dir out priority 0 ptype main \n\s+tmpl src 10\.20\.0\.2 dst 10\.20\.0\.1\n\s+proto esp reqid 1229783041 mode transport/);
    assert.match(listed, /src fd00:20::1\/128 dst fd00:20::2\/128 proto tcp sport 5200 dport 5101 \n\s+dir in priority 0 ptype main \n\s+tmpl src fd00:20::1 dst fd00:20::2\n\s+proto esp reqid 1229783044 mode transport/);

    const del = await driveInNetns(ns, [
      { op: 'delete-policy', policy: V4_OUT },
      { op: 'delete-policy', policy: V6_IN },
      { op: 'delete-policy', policy: V4_OUT },
    ]);
    assert.deepEqual(del.steps[0], { ok: null });
    assert.deepEqual(del.steps[1], { ok: null });
    assert.equal(del.steps[2].error?.code, 'ENOENT');
    assert.equal(del.steps[2].error?.operation, 'delete-policy');
    assert.equal(ip(['-n', ns, 'xfrm', 'policy', 'list']).trim(), '');
  });

  it('a message the kernel finds invalid (policy direction 7) is a typed EINVAL naming the operation', async () => {
    const bad = buildNewPolicy(V4_OUT, 0);
    bad.writeUInt8(7, 16 + 160); // xfrm_userpolicy_info.dir
    const { steps } = await driveInNetns(ns, [{ op: 'raw', as: 'add-policy', hex: bad.toString('hex') }]);
    assert.equal(steps[0].error?.name, 'IpsecError');
    assert.equal(steps[0].error?.operation, 'add-policy');
    assert.equal(steps[0].error?.code, 'EINVAL');
    assert.match(steps[0].error?.message ?? '', /^add-policy failed: EINVAL \(errno 22\)/);
  });

  it('install(): on a kernel without ESP a typed EPROTONOSUPPORT and nothing left behind; with ESP installed then removed without a trace', async () => {
    let hasEsp = true;
    try {
      ip(['-n', ns, 'xfrm', 'state', 'add', 'src', '127.0.0.1', 'dst', '127.0.0.1', 'proto', 'esp', 'spi', '0x7ffffff1', 'mode', 'transport',
        'auth-trunc', 'hmac(sha1)', `0x${'00'.repeat(20)}`, '96', 'enc', 'ecb(cipher_null)', '']);
      ip(['-n', ns, 'xfrm', 'state', 'flush']);
    } catch {
      hasEsp = false;
    }
    const spec = {
      ue: { address: '10.20.0.2', portC: 5100, portS: 5101, spiC: 0x1000, spiS: 0x1001 },
      pcscf: { address: '10.20.0.1', portC: 5200, portS: 5201, spiC: 0x2000, spiS: 0x2001 },
      integrity: 'hmac-sha-1-96', encryption: 'aes-cbc', ik: IK, ck: CK,
    };
    const { steps, output } = await driveInNetns(ns, [{ op: 'install', spec }, { op: 'remove', set: 0 }]);
    assert.ok(!output.includes(IK) && !output.includes(CK), 'no key in the output');
    if (!hasEsp) {
      console.log('      (this kernel has no ESP: checking the refusal)');
      assert.equal(steps[0].error?.name, 'IpsecError');
      assert.equal(steps[0].error?.operation, 'add-sa');
      assert.equal(steps[0].error?.code, 'EPROTONOSUPPORT');
      assert.equal(steps[0].error?.errno, 93);
      assert.match(steps[0].error?.message ?? '', /SA 10\.20\.0\.2 -> 10\.20\.0\.1 spi 0x2001/);
    } else {
      assert.ok(steps[0].ok, JSON.stringify(steps[0]));
      assert.deepEqual(steps[1], { ok: null });
    }
    assert.equal(ip(['-n', ns, 'xfrm', 'state', 'list']).trim(), '');
    assert.equal(ip(['-n', ns, 'xfrm', 'policy', 'list']).trim(), '');
  });

  it("removeStale() removes a crashed run's policies (reqid 0x494dxxxx) and leaves foreign ones", async () => {
    const add = (args: string[]) => ip(['-n', ns, 'xfrm', 'policy', 'add', ...args]);
    add(['src', '10.30.0.2', 'dst', '10.30.0.1', 'proto', 'udp', 'sport', '6000', 'dport', '6001', 'dir', 'out',
      'tmpl', 'src', '10.30.0.2', 'dst', '10.30.0.1', 'proto', 'esp', 'mode', 'transport', 'reqid', String(0x494d0042)]);
    add(['src', 'fd00:30::1', 'dst', 'fd00:30::2', 'proto', 'tcp', 'sport', '6002', 'dport', '6003', 'dir', 'in',
      'tmpl', 'src', 'fd00:30::1', 'dst', 'fd00:30::2', 'proto', 'esp', 'mode', 'transport', 'reqid', String(0x494dfff3)]);
    // foreign: another IPsec user's policy (reqid 7), and a plain policy without template
    add(['src', '10.30.0.2', 'dst', '10.30.0.1', 'proto', 'udp', 'sport', '7000', 'dport', '7001', 'dir', 'out',
      'tmpl', 'src', '10.30.0.2', 'dst', '10.30.0.1', 'proto', 'esp', 'mode', 'transport', 'reqid', '7']);
    add(['src', '10.30.0.9', 'dst', '10.30.0.1', 'dir', 'in']);
    const { steps } = await driveInNetns(ns, [{ op: 'removeStale' }, { op: 'removeStale' }]);
    assert.deepEqual(steps[0], { ok: 2 });
    assert.deepEqual(steps[1], { ok: 0 });
    const left = ip(['-n', ns, 'xfrm', 'policy', 'list']);
    assert.doesNotMatch(left, /sport 600[02]/);
    assert.match(left, /sport 7000 dport 7001[\s\S]*reqid 7 mode transport/);
    assert.match(left, /src 10\.30\.0\.9\/32 dst 10\.30\.0\.1\/32/);
  });

  it('removeStale() over a dump that spans many datagrams (150 of ours among 150 foreign policies)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const reqid = i % 2 === 0 ? 0x494d0000 + i : 1000 + i;
      lines.push(`xfrm policy add src 10.31.${i >> 8}.${i & 255} dst 10.31.255.1 proto udp sport ${10000 + i} dport 5060 dir out ` +
        `tmpl src 10.31.${i >> 8}.${i & 255} dst 10.31.255.1 proto esp mode transport reqid ${reqid}`);
    }
    execFileSync('ip', ['-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
    const { steps } = await driveInNetns(ns, [{ op: 'removeStale' }, { op: 'dump-policy' }]);
    assert.deepEqual(steps[0], { ok: 150 });
    const left = steps[1].ok as { tmpls: { reqid: number }[] }[];
    assert.equal(left.length, 150);
    assert.ok(left.every((p) => p.tmpls[0].reqid >= 1000 && p.tmpls[0].reqid < 1300), 'only foreign policies are left');
  });

  it('allocateSpis(): distinct SPIs above the reserved range, never handed out twice', async () => {
    const { steps } = await driveInNetns(ns, [{ op: 'allocateSpis' }, { op: 'allocateSpis' }, { op: 'allocateSpis' }]);
    const spis = steps.flatMap((s) => Object.values(s.ok as { spiC: number; spiS: number }));
    assert.equal(spis.length, 6);
    assert.equal(new Set(spis).size, 6);
    for (const spi of spis) assert.ok(spi >= 0x1000 && spi <= 0x7fffffff, String(spi));
  });
});
