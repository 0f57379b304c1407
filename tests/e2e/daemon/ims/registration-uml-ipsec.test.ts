// imsd's registration service (daemon/ims/registration/cli.ts: soft SIM, simulated modem, XFRM
// IpsecManager) against the lab with real ESP inside User-Mode Linux (the host kernel has no ESP):
// one UML boot runs the scenarios of tests/helpers/lab-ue/lab-run.ts — sec-agree registration with
// the reg-event subscription and de-registration on SIGTERM, a resync (HSS SQN far ahead of the
// SIM), a P-CSCF list whose first entry never answers, and a reg-event NOTIFY with a malformed
// reginfo body (over the SAs), the lab's network-initiated de-registration ("rejected", and
// "deactivated" then registering again), and a re-authenticating re-registration with the SA
// make-before-break of TS 33.203 7.4 (a new SA set on a new port_uc while the old set stays, the
// old one removed after the 200 and its grace). Checked here on the host: the states, the UE's SAs
// while registered and none after shutdown, and in the captures (UE side and core side) that after
// the P-CSCF's 401 every SIP packet between UE and P-CSCF is ESP.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInUml } from '../../../../lab/core/uml.js';
import { espVerdict, tsharkPackets, type EspVerdict } from '../../../helpers/lab-ue/esp-check.js';
import type { LabRunPlan, LabRunResult, ScenarioResult } from '../../../helpers/lab-ue/lab-run.js';
import { REPO } from '../../../helpers/lab-ue/registration-cli.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

describe('imsd registration against the lab with ESP inside User-Mode Linux', function () {
  this.timeout(450_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-reguml-'));
  const prefix = `ru${randomBytes(3).toString('hex')}`;
  let result: LabRunResult;
  let console_ = '';
  const scenario = (name: string): ScenarioResult => {
    const s = result.scenarios.find((x) => x.name === name);
    assert.ok(s, `scenario ${name} did not run: ${console_.slice(-2500)}`);
    return s;
  };

  before(async function () {
    requirePrerequisites(this, [root(), command('linux.uml'), command('kamailio'), command('baresip'), command('tcpdump'),
      command('tshark'), file('/usr/lib/uml/modules')]);
    const plan: LabRunPlan = { runDir: join(work, 'lab'), prefix, work, ipsec: true, slow: true, scenarios: ['register', 'reregister', 'ni-deactivated', 'ni-rejected', 'resync', 'dead-pcscf', 'malformed-reginfo'] };
    writeFileSync(join(work, 'plan.json'), JSON.stringify(plan));
    const script = `cd ${REPO}
${process.execPath} --import tsx ${join(REPO, 'tests/helpers/lab-ue/lab-run.ts')} ${join(work, 'plan.json')}
echo "LABRUN-RC $?"
echo "NETNS-LEFT $(ls /run/netns 2>/dev/null | grep -c ${prefix})"
`;
    const r = await runInUml(script, join(work, 'uml'), { timeoutMs: 420_000 });
    console_ = r.output;
    assert.ok(existsSync(join(work, 'result.json')), `no result from inside UML: ${r.output.slice(-3000)}`);
    result = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as LabRunResult;
  });

  after(() => {
    // the namespaces lived in the UML kernel; /etc/netns and the run dir are on the shared file system
    for (const ns of [`${prefix}-core`, `${prefix}-ue`]) rmSync(join('/etc/netns', ns), { recursive: true, force: true });
    if (process.env.IMSD_KEEP_TEST_WORK) console.log(`      work dir kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('registers with sec-agree: 401 → SAs → protected REGISTER → 200, subscribes, de-registers on SIGTERM and leaves no SA or policy', () => {
    const s = scenario('register');
    assert.ok(s.ok, `${s.error}\n${console_.slice(-2500)}`);
    assert.deepEqual(s.states.slice(0, 4), ['idle', 'registering', 'authenticating', 'registered']);
    assert.equal(s.finalState, 'deregistered', s.states.join(' → '));
    assert.equal(s.lastFailure, undefined, 'the de-registration was answered 200');
    assert.equal(s.exitCode, 0);
    // TS 33.203 7.1: two pairs of unidirectional SAs (UE port_uc/port_us ↔ P-CSCF port_ps/port_pc)
    assert.equal(s.xfrmStatesWhileRegistered, 4, 'four ESP SAs in the UE namespace while registered');
    assert.equal(s.xfrmStatesAfterStop, 0, 'no SA left after shutdown');
    assert.equal(s.xfrmPoliciesAfterStop, 0, 'no policy left after shutdown');
    console.log(`      figure: registered ${s.registeredMs} ms after the CLI started, inside UML (process start included)`);
    assert.match(console_, /NETNS-LEFT 0/);
    assert.match(console_, /LABRUN-RC 0/);
    const log = readFileSync(join(work, 'register.log'), 'utf8');
    assert.ok(!log.includes(K) && !log.includes(OPC), 'no key in the CLI log');
  });

  it('after the 401, every SIP packet between UE and P-CSCF is ESP (UE-side and core-side captures)', async () => {
    const s = scenario('register');
    const inWindow = (v: EspVerdict): EspVerdict => {
      const all = v.all.filter((p) => p.time >= s.window[0] && p.time <= s.window[1]);
      return espVerdict(all, result.ueAddress, result.pcscf);
    };
    const ue = inWindow(espVerdict(await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf), result.ueAddress, result.pcscf));
    const core = inWindow(espVerdict(await tsharkPackets(result.corePcap, result.ueAddress, result.pcscf), result.ueAddress, result.pcscf));
    // the UE-side capture must have the challenge; a capture that dropped it cannot judge
    assert.ok(ue.challengeAt !== undefined || core.challengeAt !== undefined, 'no 401 in either capture');
    for (const [where, v] of [['UE side', ue], ['core side', core]] as const) {
      if (v.challengeAt === undefined) {
        console.warn(`      *** the ${where} capture has no 401 (dropped packet); judged on the other capture ***`);
        continue;
      }
      assert.deepEqual(v.cleartextAfter.map((p) => `${p.frame} ${p.src}→${p.dst} ${p.sip}`), [], `${where}: cleartext SIP after the 401`);
      // protected REGISTER + 200, SUBSCRIBE + 200, NOTIFY + 200, de-REGISTER + 200 at least
      const sip = v.espSipAfter.map((p) => p.sip);
      assert.ok(v.espSipAfter.length >= 6, `${where}: ${v.espSipAfter.length} SIP packets in ESP: ${sip.join(', ')}`);
      for (const m of ['REGISTER', '200 REGISTER', 'SUBSCRIBE', 'NOTIFY']) assert.ok(sip.includes(m), `${where}: no ${m} in ESP: ${sip.join(', ')}`);
      console.log(`      ${where}: ${v.espSipAfter.length} SIP packets in ESP after the 401, 0 in clear`);
    }
  });

  it('re-authenticating re-registration over ESP, make before break (TS 33.203 7.4): both sets during the exchange, only the new one after', () => {
    const s = scenario('reregister');
    assert.ok(s.ok, `${s.error}\n${console_.slice(-2500)}`);
    const i = s.states.indexOf('reregistering');
    assert.ok(i > 0 && s.states.slice(i).includes('registered'), s.states.join(' → '));
    assert.ok(s.grantedExpires! >= 8 && s.grantedExpires! <= 30, String(s.grantedExpires));
    assert.equal(s.spisBefore?.length, 4, `the first set: ${s.spisBefore?.join(' ')}`);
    assert.equal(s.xfrmStatesDuringExchange, 8, 'old and new set (4 SAs each) side by side while re-registering');
    assert.equal(s.spisRightAfter?.length, 8, `right after the 200 the old set is still there: ${s.spisRightAfter?.join(' ')}`);
    assert.equal(s.spisAfter?.length, 4, `after the grace only the new set: ${s.spisAfter?.join(' ')}`);
    assert.ok(s.spisBefore!.every((x) => !s.spisAfter!.includes(x)), 'the new set has fresh SPIs on both sides');
    assert.ok(s.spisBefore!.every((x) => s.spisRightAfter!.includes(x)) && s.spisAfter!.every((x) => s.spisRightAfter!.includes(x)));
    assert.equal(s.finalState, 'deregistered');
    assert.equal(s.exitCode, 0);
    assert.equal(s.xfrmStatesAfterStop, 0, 'no SA left after shutdown');
    assert.equal(s.xfrmPoliciesAfterStop, 0, 'no policy left after shutdown');
    const log = readFileSync(join(work, 'reregister.log'), 'utf8');
    // the new set was installed before the old one was removed, and that only after the 200
    const installed2 = log.indexOf('set 2 installed');
    const inUse2 = log.search(/SA set in use set=2\b/);
    const removed1 = log.indexOf('set 1 removed');
    assert.ok(installed2 > 0 && inUse2 > installed2 && removed1 > inUse2, `order in the log: install 2 @${installed2}, in use @${inUse2}, remove 1 @${removed1}`);
    console.log(`      figure: re-registered (with a new challenge and SA set) ${s.reregisteredAfterMs} ms after registering, granted ${s.grantedExpires} s, inside UML`);
  });

  it('after the re-registration, the SIP between UE and P-CSCF is ESP, and a reg-event NOTIFY arrives over the new set', async () => {
    const s = scenario('reregister');
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= s.window[0] && p.time <= s.window[1]);
    const v = espVerdict(packets, result.ueAddress, result.pcscf);
    assert.ok(v.challengeAt !== undefined, 'the first 401 is in the UE-side capture');
    assert.deepEqual(v.cleartextAfter.map((p) => `${p.frame} ${p.src}→${p.dst} ${p.sip}`), [], 'cleartext SIP after the 401');
    const sip = v.espSipAfter.map((p) => p.sip);
    assert.ok(sip.filter((m) => m === '401 REGISTER').length >= 1, `the re-registration's 401 over the old set: ${sip.join(', ')}`);
    const overNew = v.espSipAfter.filter((p) => p.spi !== undefined && s.spisAfter!.includes(p.spi));
    const kinds = overNew.map((p) => p.sip);
    assert.ok(kinds.includes('REGISTER') && kinds.includes('200 REGISTER'), `the protected REGISTER and its 200 over the new set: ${kinds.join(', ')}`);
    const notify = overNew.find((p) => p.sip === 'NOTIFY' && p.dst === result.ueAddress);
    assert.ok(notify, `a NOTIFY over the new set: ${overNew.map((p) => `${p.sip}/0x${p.spi!.toString(16)}`).join(', ')}`);
    assert.ok(overNew.some((p) => p.sip === '200 NOTIFY' && p.time > notify.time), 'and its 200, over the new set');
  });

  it('network-initiated de-registration "deactivated": the UE answers 200 and registers again with a new SA set', () => {
    const s = scenario('ni-deactivated');
    assert.ok(s.ok, `${s.error}\n${console_.slice(-2500)}`);
    assert.equal(s.notifyAnswer, 'SIP/2.0 200 OK');
    assert.deepEqual(s.statesAfterDereg?.map((x) => x.state).slice(0, 3), ['registering', 'authenticating', 'registered'], JSON.stringify(s.statesAfterDereg));
    assert.equal(s.spisReregistered?.length, 4, `one new set: ${s.spisReregistered?.join(' ')}`);
    assert.equal(s.xfrmStatesWhileRegistered, 4);
    assert.equal(s.finalState, 'deregistered');
    assert.equal(s.xfrmStatesAfterStop, 0);
    assert.equal(s.xfrmPoliciesAfterStop, 0);
  });

  it('network-initiated de-registration "rejected" over the SAs: the UE answers 200, stays off, removes its SAs', () => {
    const r = scenario('ni-rejected');
    assert.ok(r.ok, `${r.error}\n${console_.slice(-2500)}`);
    assert.equal(r.notifyAnswer, 'SIP/2.0 200 OK');
    assert.equal(r.statesAfterDereg?.[0]?.state, 'failed', JSON.stringify(r.statesAfterDereg));
    assert.equal((r.statesAfterDereg?.[0]?.lastFailure as { kind?: string } | undefined)?.kind, 'rejected');
    assert.ok(!(r.statesAfterDereg ?? []).some((x) => x.state === 'registering'));
    assert.equal(r.xfrmStatesAfterStop, 0);
    assert.equal(r.xfrmPoliciesAfterStop, 0);
  });

  it('the de-registration NOTIFY and its 200 travel in ESP', async () => {
    const s = scenario('ni-rejected');
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= s.window[0] && p.time <= s.window[1]);
    const v = espVerdict(packets, result.ueAddress, result.pcscf);
    assert.ok(v.challengeAt !== undefined, 'the 401 is in the UE-side capture');
    const sip = v.espSipAfter.map((p) => p.sip);
    assert.ok(sip.filter((m) => m === 'NOTIFY').length >= 2 && sip.filter((m) => m === '200 NOTIFY').length >= 2, `NOTIFYs and 200s in ESP: ${sip.join(', ')}`);
    // Nothing in clear after the 401, also once rejected and without SAs: the terminating NOTIFY
    // needs no un-SUBSCRIBE (RFC 6665 4.1.3), so the UE sends nothing more
    const deregNotify = Math.max(...v.espSipAfter.filter((p) => p.sip === 'NOTIFY').map((p) => p.time));
    assert.deepEqual(v.cleartextAfter.map((p) => `${p.frame} ${p.sip}`), [], 'cleartext SIP after the 401');
    assert.ok(!v.espSipAfter.some((p) => p.sip === 'SUBSCRIBE' && p.time > deregNotify), 'no un-SUBSCRIBE after the terminating NOTIFY');
    assert.ok(v.espSipAfter.some((p) => p.sip === '200 NOTIFY' && p.time > deregNotify), 'the 200 to the de-registration NOTIFY in ESP');
  });

  it('resynchronises when the HSS SQN is far ahead of the SIM (AUTS → new challenge → registered)', () => {
    const s = scenario('resync');
    assert.ok(s.ok, `${s.error}\n${console_.slice(-2500)}`);
    assert.equal(s.hssResync, true, 'the HSS saw a resync MAR (RAND‖AUTS) with a valid MAC-S');
    assert.ok(s.states.filter((x) => x === 'authenticating').length >= 2, `two challenges: ${s.states.join(' → ')}`);
    assert.equal(s.finalState, 'deregistered');
    assert.equal(s.xfrmStatesAfterStop, 0);
  });

  it('a P-CSCF that never answers: Timer F, back-off, registered with sec-agree through the next one', () => {
    const s = scenario('dead-pcscf');
    assert.ok(s.ok, `${s.error}\n${console_.slice(-2500)}`);
    assert.ok(s.states.includes('backoff'), s.states.join(' → '));
    assert.deepEqual(s.pcscf, { address: result.pcscf, port: 5060 });
    assert.equal(s.xfrmStatesWhileRegistered, 4);
    assert.equal(s.xfrmStatesAfterStop, 0);
    assert.equal(s.xfrmPoliciesAfterStop, 0);
  });

  it('a malformed reginfo NOTIFY arriving over the SAs is ignored: still registered, clean de-registration', () => {
    const s = scenario('malformed-reginfo');
    assert.ok(s.ok, `${s.error}\n${console_.slice(-2500)}`);
    assert.equal(s.pcscfMangledNotify, true);
    assert.ok(s.reginfoLog?.some((l) => /malformed XML/.test(l)), (s.reginfoLog ?? []).join('\n'));
    assert.deepEqual(s.statesAfterNotify, []);
    assert.equal(s.finalState, 'deregistered');
    assert.equal(s.xfrmStatesAfterStop, 0);
  });
});
