// imsd's default sec-agree offer (all four pairs of TS 33.203 annex H) against the lab with ESP
// inside User-Mode Linux: the REGISTER is larger than 1300 bytes, so it goes over TCP (RFC 3261
// 18.1.1) to the P-CSCF, which listens on TCP too (unprotected 5060 and its protected ports).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInUml } from '../../../../lab/core/uml.js';
import { espVerdict, tsharkPackets } from '../../../helpers/lab-ue/esp-check.js';
import { REPO } from '../../../helpers/lab-ue/registration-cli.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import type { FullOfferPlan, FullOfferResult } from './full-offer-run.js';

describe('imsd registration with the full sec-agree offer over TCP, ESP inside User-Mode Linux', function () {
  this.timeout(300_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-regfull-'));
  const prefix = `rf${randomBytes(3).toString('hex')}`;
  let result: FullOfferResult;
  let console_ = '';

  before(async function () {
    requirePrerequisites(this, [root(), command('linux.uml'), command('kamailio'), command('tcpdump'), command('tshark'), file('/usr/lib/uml/modules')]);
    const plan: FullOfferPlan = { runDir: join(work, 'lab'), prefix, work };
    writeFileSync(join(work, 'plan.json'), JSON.stringify(plan));
    const script = `cd ${REPO}
${process.execPath} --import tsx ${join(REPO, 'tests/e2e/daemon/ims/full-offer-run.ts')} ${join(work, 'plan.json')}
echo "RUN-RC $?"
echo "NETNS-LEFT $(ls /run/netns 2>/dev/null | grep -c ${prefix})"
`;
    const r = await runInUml(script, join(work, 'uml'), { timeoutMs: 260_000 });
    console_ = r.output;
    assert.ok(existsSync(join(work, 'full-offer.json')), `no result from inside UML: ${r.output.slice(-3000)}`);
    result = JSON.parse(readFileSync(join(work, 'full-offer.json'), 'utf8')) as FullOfferResult;
  });

  after(() => {
    for (const ns of [`${prefix}-core`, `${prefix}-ue`]) rmSync(join('/etc/netns', ns), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('registers with the four-pair offer, four SAs while registered, none after de-registration', () => {
    assert.ok(result.ok, `${result.error}\n${console_.slice(-2500)}`);
    assert.deepEqual(result.states.slice(0, 4), ['idle', 'registering', 'authenticating', 'registered']);
    assert.equal(result.finalState, 'deregistered');
    assert.ok(result.secAgree, 'a pair was chosen');
    console.log(`      the P-CSCF chose ${result.secAgree.alg} / ${result.secAgree.ealg}`);
    assert.equal(result.xfrmStatesWhileRegistered, 4);
    assert.equal(result.xfrmStatesAfterStop, 0);
    assert.match(console_, /NETNS-LEFT 0/);
    assert.match(console_, /RUN-RC 0/);
  });

  it('the REGISTERs travel over TCP when larger than 1300 bytes (the protected one always): in clear before the 401, in ESP after it, nothing in clear after the 401', async () => {
    const w = result.window;
    assert.ok(w, 'the full-offer registration ran');
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= w[0] && p.time <= w[1]);
    const v = espVerdict(packets, result.ueAddress, result.pcscf);
    const first = packets.find((p) => p.sip === 'REGISTER');
    assert.ok(first, 'a REGISTER in the capture');
    assert.ok(!first.protocols.includes('esp'), `the first REGISTER in clear: ${first.protocols}`);
    // RFC 3261 18.1.1: over TCP when larger than 1300 bytes (the MTU less 200). The unprotected
    // REGISTER of the full offer is near that line (its SPIs and ports vary in length); the protected
    // one, with Security-Verify and the digest response, is always above it.
    assert.ok(first.payloadBytes !== undefined, `the first REGISTER's size: ${JSON.stringify(first)}`);
    assert.equal(first.protocols.split(':').includes('tcp'), first.payloadBytes > 1300, `the first REGISTER, ${first.payloadBytes} bytes: ${first.protocols}`);
    console.log(`      the first REGISTER: ${first.payloadBytes} bytes over ${first.protocols.includes('tcp') ? 'TCP' : 'UDP'}`);
    assert.ok(v.challengeAt !== undefined, 'the 401 is in the capture');
    assert.deepEqual(v.cleartextAfter.map((p) => `${p.frame} ${p.sip}`), [], 'cleartext SIP after the 401');
    if (result.secAgree?.ealg === 'null') {
      const protectedRegister = v.espSipAfter.find((p) => p.sip === 'REGISTER');
      assert.ok(protectedRegister, `a REGISTER in ESP: ${v.espSipAfter.map((p) => p.sip).join(', ')}`);
      assert.ok(protectedRegister.protocols.split(':').includes('tcp'), `the protected REGISTER: ${protectedRegister.protocols}`);
    }
  });

  it('re-registers over TCP with a new SA set (TS 33.203 7.4): its REGISTER and 200 over TCP in the new set\'s ESP, only the new set after', async () => {
    assert.ok(result.reregistered, `${result.error}\n${console_.slice(-2500)}`);
    assert.equal(result.spisBefore?.length, 4);
    assert.equal(result.spisAfter?.length, 4, `after the old set's grace: ${result.spisAfter?.join(' ')}`);
    assert.ok(result.spisBefore!.every((x) => !result.spisAfter!.includes(x)), 'fresh SPIs');
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= result.window![0] && p.time <= result.window![1]);
    const v = espVerdict(packets, result.ueAddress, result.pcscf);
    assert.deepEqual(v.cleartextAfter.map((p) => `${p.frame} ${p.sip}`), [], 'cleartext SIP after the 401');
    const overNew = v.espSipAfter.filter((p) => p.spi !== undefined && result.spisAfter!.includes(p.spi));
    for (const m of ['REGISTER', '200 REGISTER']) {
      const p = overNew.find((x) => x.sip === m);
      assert.ok(p, `${m} over the new set: ${overNew.map((x) => x.sip).join(', ')}`);
      assert.ok(p.protocols.split(':').includes('tcp'), `${m} over TCP: ${p.protocols}`);
    }
  });

  it('a forced aes-cbc choice (the UE offers aes-cbc only): registered over aes-cbc SAs, de-registered, none left', () => {
    const a = result.aes;
    assert.ok(a?.ok, `${a?.error}\n${console_.slice(-2500)}`);
    assert.equal(a.secAgree?.ealg, 'aes-cbc');
    assert.deepEqual(a.encAlgs, ['cbc(aes)', 'cbc(aes)', 'cbc(aes)', 'cbc(aes)'], 'four SAs with AES-CBC in the kernel');
    assert.equal(a.finalState, 'deregistered');
    assert.equal(a.xfrmStatesAfterStop, 0);
  });
});
