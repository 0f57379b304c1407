// SAs and ESP traffic on a kernel with ESP: inside User-Mode Linux, two network namespaces joined
// by a veth. The P-CSCF side is installed with iproute2 (`ip xfrm`), the UE side by
// XfrmIpsecManager; UDP and TCP go both ways between the TS 33.203 7.1 port pairs over IPv4 and
// IPv6, the SA counters on both sides show they went as ESP, and after remove() and removeStale()
// nothing of imsd's is left while a foreign SA and policy survive. One UML boot for all checks.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { runInUml } from '../../../../lab/core/uml.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { parseSteps, parseTimes } from '../../../integration/daemon/ipsec/driver.js';
import type { SecurityEndpoint } from '../../../../daemon/ipsec/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DRIVER = join(HERE, '../../../integration/daemon/ipsec/xfrm-driver.ts');
const PEER = join(HERE, '../../../integration/daemon/ipsec/esp-peer.ts');
// throwaway test keys
const IK = '3c4d5e6f708192a3b4c5d6e7f8091a2b';
const CK = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';

interface Side { ue: SecurityEndpoint; pcscf: SecurityEndpoint }
const V4: Side = {
  ue: { address: '10.46.0.2', portC: 5100, portS: 5101, spiC: 0x10001, spiS: 0x10002 },
  pcscf: { address: '10.46.0.1', portC: 5200, portS: 5201, spiC: 0x20001, spiS: 0x20002 },
};
const V6: Side = {
  ue: { address: 'fd00:46::2', portC: 6100, portS: 6101, spiC: 0x30001, spiS: 0x30002 },
  pcscf: { address: 'fd00:46::1', portC: 6200, portS: 6201, spiC: 0x40001, spiS: 0x40002 },
};

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The P-CSCF's half with iproute2: the same four SAs (its SPIs and the UE's), its policies for UDP and TCP. */
function pcscfSide(ns: string, s: Side, reqidBase: number, algs: string): string {
  const { ue, pcscf } = s;
  const sas: [string, string, number, number, number, 'in' | 'out'][] = [
    [ue.address, pcscf.address, pcscf.spiS, ue.portC, pcscf.portS, 'in'],
    [ue.address, pcscf.address, pcscf.spiC, ue.portS, pcscf.portC, 'in'],
    [pcscf.address, ue.address, ue.spiS, pcscf.portC, ue.portS, 'out'],
    [pcscf.address, ue.address, ue.spiC, pcscf.portS, ue.portC, 'out'],
  ];
  const lines: string[] = [];
  sas.forEach(([src, dst, spi, sport, dport, dir], i) => {
    const reqid = reqidBase + i;
    lines.push(`ip -n ${ns} xfrm state add src ${src} dst ${dst} proto esp spi ${spi} mode transport reqid ${reqid} replay-window 32 ` +
      algs);
    for (const proto of ['udp', 'tcp']) {
      lines.push(`ip -n ${ns} xfrm policy add src ${src} dst ${dst} proto ${proto} sport ${sport} dport ${dport} dir ${dir} ` +
        `tmpl src ${src} dst ${dst} proto esp mode transport reqid ${reqid}`);
    }
  });
  return lines.join('\n');
}

interface SaCount { src: string; dst: string; spi: number; packets: number; reqid: number }
function parseStates(text: string): SaCount[] {
  const out: SaCount[] = [];
  for (const block of text.split(/^(?=src )/m)) {
    const h = /^src (\S+) dst (\S+)/.exec(block);
    const spi = /spi 0x([0-9a-f]+)(?:\(\d+\))? reqid (\d+)/.exec(block);
    const cur = /lifetime current:\s*\n\s*(\d+)\(bytes\), (\d+)\(packets\)/.exec(block);
    if (h && spi) out.push({ src: h[1], dst: h[2], spi: parseInt(spi[1], 16), reqid: Number(spi[2]), packets: Number(cur?.[2] ?? -1) });
  }
  return out;
}

describe('daemon/ipsec inside User-Mode Linux: SAs and ESP traffic against iproute2-installed peer SAs', function () {
  this.timeout(300_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-esp-'));

  before(function () {
    requirePrerequisites(this, [root(), command('linux.uml'), command('busybox'), command('ip'), file('/usr/lib/uml/modules')]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('UDP and TCP both ways over the four SAs (IPv4 and IPv6), then remove() and removeStale() leave only foreign state', async () => {
    const p = `ie${randomBytes(3).toString('hex')}`;
    const UE = `${p}-ue`;
    const PC = `${p}-pc`;
    const node = `${process.execPath} --import tsx`;
    const spec = (s: Side, integrity: string, encryption: string) => ({ ...s, integrity, encryption, ik: IK, ck: CK });
    const ep = (address: string, port: number) => ({ address, port });
    const ueInitiated = (s: Side) => (['udp', 'tcp'] as const).map((proto) => ({
      op: 'exchange', proto, from: ep(s.ue.address, s.ue.portC), to: ep(s.pcscf.address, s.pcscf.portS),
    }));
    const pcscfInitiated = [V4, V6].flatMap((s) => (['udp', 'tcp'] as const).map((proto) => ({
      proto, from: ep(s.pcscf.address, s.pcscf.portC), to: ep(s.ue.address, s.ue.portS),
    })));
    const steps = [
      { op: 'removeStale' }, // 0: a crashed run's SA and policy
      { op: 'allocateSpis' }, // 1
      { op: 'install', spec: spec(V4, 'hmac-sha-1-96', 'aes-cbc') }, // 2
      { op: 'install', spec: spec(V6, 'hmac-md5-96', 'des-ede3-cbc') }, // 3
      { op: 'removeStale' }, // 4: live sets are not stale
      { op: 'serve', endpoints: [V4, V6].map((s) => ep(s.ue.address, s.ue.portS)) }, // 5: requests from the P-CSCF arrive on port-s
      ...ueInitiated(V4), ...ueInitiated(V6), // 6..9
      { op: 'run', argv: ['ip', 'netns', 'exec', PC, process.execPath, '--import', 'tsx', PEER, 'exchange', JSON.stringify(pcscfInitiated)] }, // 10
      { op: 'run', argv: ['sh', '-c', "ip -s xfrm state list | grep -Ev 'auth|enc|aead'"] }, // 11: without the key lines
      { op: 'remove', set: 0 }, // 12
      { op: 'remove', set: 0 }, // 13: twice is a no-op
      { op: 'remove', set: 1 }, // 14
      { op: 'removeStale' }, // 15
      { op: 'exchange', proto: 'udp', from: ep(V4.ue.address, V4.ue.portC), to: ep(V4.pcscf.address, V4.pcscf.portS) }, // 16: plaintext now
      { op: 'install', spec: spec(V4, 'hmac-sha-1-96', 'aes-cbc') }, // 17: again
      { op: 'install', spec: { ...spec(V4, 'hmac-sha-1-96', 'aes-cbc'), ue: { ...V4.ue, portC: 5300, portS: 5301 } } }, // 18: same SPIs: EEXIST
      // 19: set 17 intact (traffic would meet the P-CSCF's anti-replay window: the reused SPIs restart at sequence number 1)
      { op: 'run', argv: ['sh', '-c', "ip xfrm state list | grep -c '^src'; ip xfrm policy list | grep -c '^src'"] },
      { op: 'remove', set: 2 }, // 20
      { op: 'removeStale' }, // 21
    ];
    const script = `
set -u
# encrypted ESP needs a default RNG (echainiv); UML's jitterentropy cannot start, ansi_cprng can
busybox insmod /usr/lib/uml/modules/$(uname -r)/kernel/crypto/ansi_cprng.ko 2>/dev/null
ip netns add ${UE}; ip netns add ${PC}
ip link add ${p}-u type veth peer name ${p}-p
ip link set ${p}-u netns ${UE}; ip link set ${p}-p netns ${PC}
ip -n ${UE} addr add 10.46.0.2/24 dev ${p}-u; ip -n ${PC} addr add 10.46.0.1/24 dev ${p}-p
ip -n ${UE} addr add fd00:46::2/64 dev ${p}-u nodad; ip -n ${PC} addr add fd00:46::1/64 dev ${p}-p nodad
for n in ${UE} ${PC}; do ip -n $n link set lo up; done
ip -n ${UE} link set ${p}-u up; ip -n ${PC} link set ${p}-p up
${pcscfSide(PC, V4, 100, `auth-trunc 'hmac(sha1)' 0x${IK}00000000 96 enc 'cbc(aes)' 0x${CK}`)}
${pcscfSide(PC, V6, 200, `auth-trunc 'hmac(md5)' 0x${IK} 96 enc 'cbc(des3_ede)' 0x${CK}${CK.slice(0, 16)}`)}
# what a crashed imsd left in the UE's namespace (reqid 0x494d7777), and another IPsec user's state (reqid 9)
ip -n ${UE} xfrm state add src 10.46.0.2 dst 10.46.0.1 proto esp spi 0x3333 mode transport reqid ${0x494d7777} auth-trunc 'hmac(md5)' 0x${'11'.repeat(16)} 96 enc 'ecb(cipher_null)' ''
ip -n ${UE} xfrm policy add src 10.46.0.2 dst 10.46.0.1 proto udp sport 7000 dport 7001 dir out tmpl src 10.46.0.2 dst 10.46.0.1 proto esp mode transport reqid ${0x494d7777}
ip -n ${UE} xfrm state add src 10.46.0.2 dst 10.46.0.1 proto esp spi 0x4444 mode transport reqid 9 auth-trunc 'hmac(md5)' 0x${'22'.repeat(16)} 96 enc 'ecb(cipher_null)' ''
ip -n ${UE} xfrm policy add src 10.46.0.2 dst 10.46.0.1 proto udp sport 7002 dport 7003 dir out tmpl src 10.46.0.2 dst 10.46.0.1 proto esp mode transport reqid 9
ip -n ${PC} xfrm state list | grep -c '^src' | sed 's/^/PCSCF-SAS /'
echo "PHASE setup-done"
ip netns exec ${PC} ${node} ${PEER} serve ${q(JSON.stringify([V4, V6].map((s) => ep(s.pcscf.address, s.pcscf.portS))))} > ${work}/peer.out 2>&1 &
PEER_PID=$!
i=0; while ! grep -q READY ${work}/peer.out && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
echo "PHASE peer-ready"
ip netns exec ${UE} ${node} ${DRIVER} ${q(JSON.stringify(steps))} > ${work}/driver.out 2>&1
echo "DRIVER-RC $?"
kill $PEER_PID
echo "--- pcscf xfrm"; ip -n ${PC} -s xfrm state list | grep -Ev 'auth|enc|aead'
echo "--- ue xfrm after"; ip -n ${UE} xfrm state list | grep -Ev 'auth|enc|aead'; ip -n ${UE} xfrm policy list
echo "--- end"
ip netns del ${UE}; ip netns del ${PC}
`;
    const t0 = Date.now();
    const r = await runInUml(script, join(work, 'uml'), { timeoutMs: 240_000 });
    const driverOut = (() => { try { return readFileSync(join(work, 'driver.out'), 'utf8'); } catch { return ''; } })();
    const out = r.output;
    const all = out + driverOut;
    console.log(`      figure: one UML boot with all checks ${Date.now() - t0} ms`);
    assert.equal(r.code, 0, out.slice(-3000));
    assert.match(out, /DRIVER-RC 0/, all.slice(-4000));
    assert.match(out, /PCSCF-SAS 8/, 'the P-CSCF side installed with iproute2');
    const s = parseSteps(driverOut);
    const ctx = driverOut.slice(-4000);

    assert.deepEqual(s[0], { ok: 2 }, `removeStale at start: the crashed run's SA and policy; ${ctx}`);
    const spis = s[1].ok as { spiC: number; spiS: number };
    assert.ok(spis.spiC !== spis.spiS && ![0x3333, 0x4444, 0x10001, 0x20002].includes(spis.spiC), ctx);
    assert.ok(s[2].ok && s[3].ok, ctx);
    assert.equal((s[2].ok as { id: number }).id, 1, ctx);
    assert.equal((s[3].ok as { id: number }).id, 2, ctx);
    assert.ok(!JSON.stringify(s[2].ok).includes(IK), 'the installed set holds no key');
    assert.deepEqual(s[4], { ok: 0 }, 'live sets are not stale');
    for (let i = 6; i <= 9; i++) assert.deepEqual(s[i], { ok: 'echoed' }, `UE-initiated exchange ${JSON.stringify(steps[i])}: ${ctx}`);
    const peer = s[10].ok as { code: number; stdout: string; stderr: string };
    assert.equal(peer.code, 0, peer.stderr);
    assert.deepEqual(JSON.parse(peer.stdout), ['echoed', 'echoed', 'echoed', 'echoed'], 'P-CSCF-initiated exchanges (port-c -> UE port-s)');

    // ESP really carried them: every SA of both sets counted packets, on the UE side and on the P-CSCF side
    const ueText = (s[11].ok as { stdout: string }).stdout;
    const ueStates = parseStates(ueText);
    assert.equal(ueText.match(/replay-window 32 /g)?.length, 8, 'anti-replay on each of our SAs');
    const pcStates = parseStates(out.split('--- pcscf xfrm')[1]?.split('--- ue xfrm after')[0] ?? '');
    for (const side of [V4, V6]) {
      const expected: [string, string, number][] = [
        [side.ue.address, side.pcscf.address, side.pcscf.spiS], [side.ue.address, side.pcscf.address, side.pcscf.spiC],
        [side.pcscf.address, side.ue.address, side.ue.spiS], [side.pcscf.address, side.ue.address, side.ue.spiC],
      ];
      for (const [src, dst, spi] of expected) {
        const u = ueStates.find((x) => x.src === src && x.dst === dst && x.spi === spi);
        const pc = pcStates.find((x) => x.src === src && x.dst === dst && x.spi === spi);
        assert.ok(u && u.packets > 0, `UE SA ${src} -> ${dst} spi ${spi}: ${JSON.stringify(u)}`);
        assert.ok(u.reqid >>> 16 === 0x494d, `UE SA marked as imsd's: ${u.reqid}`);
        assert.ok(pc && pc.packets > 0, `P-CSCF SA ${src} -> ${dst} spi ${spi}: ${JSON.stringify(pc)}`);
        console.log(`      figure: SA ${src} -> ${dst} spi 0x${spi.toString(16)}: UE ${u.packets} packets, P-CSCF ${pc.packets} packets`);
      }
    }

    const t = parseTimes(driverOut);
    console.log(`      figure (inside UML): install() of 4 SAs + 8 policies ${t[2].toFixed(1)} ms (IPv4), ${t[3].toFixed(1)} ms (IPv6); ` +
      `remove() ${t[12].toFixed(1)} ms; removeStale() of 1 SA + 1 policy ${t[0].toFixed(1)} ms; allocateSpis() ${t[1].toFixed(1)} ms`);
    assert.deepEqual(s[12], { ok: null });
    assert.deepEqual(s[13], { ok: null });
    assert.deepEqual(s[14], { ok: null });
    assert.deepEqual(s[15], { ok: 0 });
    // without the UE's SAs the UDP goes in plaintext, and the P-CSCF's inbound policy drops it
    assert.deepEqual(s[16], { ok: 'timeout' });
    // a kernel refusal (the SPIs are taken) is a typed error and leaves the set already installed intact
    assert.equal((s[17].ok as { id: number } | undefined)?.id, 3, ctx);
    assert.deepEqual([s[18].error?.name, s[18].error?.operation, s[18].error?.code, s[18].error?.errno], ['IpsecError', 'add-sa', 'EEXIST', 17], ctx);
    assert.equal((s[19].ok as { stdout: string }).stdout, '5\n9\n', 'set 17\'s 4 SAs and 8 policies, and the foreign SA and policy');
    assert.deepEqual(s[20], { ok: null });
    assert.deepEqual(s[21], { ok: 0 });

    const after = out.split('--- ue xfrm after')[1]?.split('--- end')[0] ?? '';
    const left = parseStates(after);
    assert.deepEqual(left.map((x) => [x.spi, x.reqid]), [[0x4444, 9]], `only the foreign SA is left: ${after}`);
    assert.doesNotMatch(after, /reqid 12297/, 'no policy of ours is left');
    assert.match(after, /sport 7002 dport 7003[\s\S]*reqid 9 /, 'the foreign policy is left');
    assert.ok(!all.includes(IK) && !all.includes(CK), 'no key material in any output');
  });
});
