// imsd's registration service (daemon/ims/registration/cli.ts) against the lab on the host kernel,
// without IPsec (the host has no ESP): register, reg-event subscription, de-registration on
// SIGTERM; network-initiated de-registration (the lab's NOTIFY, "deactivated" and "rejected");
// re-registration of a short registration; resync with the HSS's SQN far ahead of the SIM; a P-CSCF list whose first entry never
// answers; and the failure cases that need no ESP: the UE asks for sec-agree and the 401 has no
// Security-Server, or offers only an algorithm set the UE does not support (both must fail before
// any SA exists), and a reg-event NOTIFY with a malformed reginfo body (must stay registered). The
// captures show the exchange in clear and no ESP at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { espVerdict, tsharkPackets } from '../../../helpers/lab-ue/esp-check.js';
import { labRun, type LabRunResult, type ScenarioResult } from '../../../helpers/lab-ue/lab-run.js';
import { command, requirePrerequisites, root } from '../../../helpers/prereq.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

describe('imsd registration against the lab on the host (no IPsec)', function () {
  this.timeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-reghost-'));
  let result: LabRunResult;
  const scenario = (name: string): ScenarioResult => {
    const s = result.scenarios.find((x) => x.name === name);
    assert.ok(s, `scenario ${name} did not run`);
    return s;
  };

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip'), command('tcpdump'), command('tshark')]);
    result = await labRun({
      runDir: join(work, 'lab'), prefix: `rh${randomBytes(3).toString('hex')}`, work, ipsec: false, slow: false,
      scenarios: ['ni-deactivated', 'ni-rejected', 'reregister', 'register', 'resync', 'dead-pcscf', 'no-security-server', 'unsupported-algorithms', 'malformed-reginfo'],
    });
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('registers (401 → 200), subscribes to reg, de-registers on SIGTERM, in clear', async () => {
    const s = scenario('register');
    assert.ok(s.ok, s.error);
    assert.deepEqual(s.states.slice(0, 4), ['idle', 'registering', 'authenticating', 'registered']);
    assert.equal(s.finalState, 'deregistered');
    assert.equal(s.lastFailure, undefined);
    assert.equal(s.exitCode, 0);
    assert.equal(s.xfrmStatesAfterStop, 0);
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= s.window[0] && p.time <= s.window[1]);
    const v = espVerdict(packets, result.ueAddress, result.pcscf);
    assert.ok(v.challengeAt !== undefined, 'the 401 is in the UE-side capture');
    assert.equal(v.espSipAfter.length, 0, 'no ESP without sec-agree');
    const sip = v.cleartextAfter.map((p) => p.sip);
    for (const m of ['REGISTER', '200 REGISTER', 'SUBSCRIBE', '200 SUBSCRIBE', 'NOTIFY', '200 NOTIFY']) assert.ok(sip.includes(m), `${m} missing: ${sip.join(', ')}`);
    const log = readFileSync(join(work, 'register.log'), 'utf8');
    assert.ok(!log.includes(K) && !log.includes(OPC), 'no key in the CLI log');
    console.log(`      figure: registered ${s.registeredMs} ms after the CLI started (process start included)`);
  });

  it('re-registers at half of a short registration, with a new challenge', async () => {
    const s = scenario('reregister');
    assert.ok(s.ok, s.error);
    // 10 s asked; Kamailio's S-CSCF grants 90 % of it (contact_expires_buffer_percentage)
    assert.ok(s.grantedExpires! >= 8 && s.grantedExpires! <= 10, String(s.grantedExpires));
    // TS 24.229 5.1.1.4.1: at half of the time granted (the 401 round trip included)
    const half = (s.grantedExpires! * 1000) / 2;
    assert.ok(s.reregisteredAfterMs! >= half && s.reregisteredAfterMs! < half + 3000, `re-registered after ${s.reregisteredAfterMs} ms`);
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= s.window[0] && p.time <= s.window[1]);
    const count = (m: string) => packets.filter((p) => p.sip === m).length;
    // initial REGISTER/401/REGISTER/200, re-REGISTER/401/REGISTER/200 (the S-CSCF challenges it), de-REGISTER
    assert.ok(count('401 REGISTER') >= 2, `two challenges: ${packets.map((p) => p.sip).join(', ')}`);
    assert.ok(count('REGISTER') >= 5, `${count('REGISTER')} REGISTERs`);
    const i = s.states.indexOf('reregistering');
    assert.ok(i > 0 && s.states.slice(i).includes('registered'), s.states.join(' → '));
    assert.equal(s.finalState, 'deregistered');
  });

  it('network-initiated de-registration "deactivated": the UE answers 200 and registers again', () => {
    const s = scenario('ni-deactivated');
    assert.ok(s.ok, s.error);
    assert.equal(s.notifyAnswer, 'SIP/2.0 200 OK');
    // TS 24.229 5.1.1.7: deactivated → a new initial registration
    assert.deepEqual(s.statesAfterDereg?.map((x) => x.state).slice(0, 3), ['registering', 'authenticating', 'registered'], JSON.stringify(s.statesAfterDereg));
    assert.equal(s.finalState, 'deregistered');
  });

  it('network-initiated de-registration "rejected": the UE answers 200 and does not register again', () => {
    const s = scenario('ni-rejected');
    assert.ok(s.ok, s.error);
    assert.equal(s.notifyAnswer, 'SIP/2.0 200 OK');
    const after = s.statesAfterDereg ?? [];
    assert.equal(after[0]?.state, 'failed', JSON.stringify(after));
    assert.equal((after[0]?.lastFailure as { kind?: string } | undefined)?.kind, 'rejected');
    assert.ok(!after.some((x) => x.state === 'registering'), 'no new attempt');
  });

  it('resynchronises when the HSS SQN is far ahead of the SIM', () => {
    const s = scenario('resync');
    assert.ok(s.ok, s.error);
    assert.equal(s.hssResync, true);
    assert.ok(s.states.filter((x) => x === 'authenticating').length >= 2, s.states.join(' → '));
    assert.equal(s.finalState, 'deregistered');
  });

  it('a P-CSCF that never answers, then the next one of the list', () => {
    const s = scenario('dead-pcscf');
    assert.ok(s.ok, s.error);
    assert.ok(s.states.includes('backoff'), s.states.join(' → '));
    assert.deepEqual(s.pcscf, { address: result.pcscf, port: 5060 });
    assert.equal(s.finalState, 'deregistered');
  });

  it('sec-agree asked, 401 without Security-Server: the UE fails the attempt, sends no credentials, installs no SA', async () => {
    const s = scenario('no-security-server');
    assert.ok(s.ok, s.error);
    const f = s.failure?.lastFailure as { kind: string; status: number; reason: string } | undefined;
    assert.equal(f?.kind, 'sec-agree', JSON.stringify(s.failure));
    assert.equal(f?.status, 401);
    assert.match(f?.reason ?? '', /without Security-Server/);
    assert.ok(!s.states.includes('registered') && !s.states.includes('authenticating'), s.states.join(' → '));
    assert.equal(s.xfrmStatesWhileRegistered, 0);
    assert.equal(s.xfrmPoliciesAfterStop, 0);
    // TS 33.203 7.2 / TS 24.229 5.1.1.5.1: no REGISTER with an AKA response after such a 401
    const packets = (await tsharkPackets(result.uePcap, result.ueAddress, result.pcscf)).filter((p) => p.time >= s.window[0] && p.time <= s.window[1]);
    const registers = packets.filter((p) => p.src === result.ueAddress && p.sip === 'REGISTER');
    assert.equal(registers.length, 1, `one REGISTER only: ${packets.map((p) => p.sip).join(', ')}`);
    assert.ok(packets.some((p) => p.sip === '401 REGISTER'), 'the 401 is in the capture');
  });

  it('the P-CSCF offers only an algorithm set the UE does not support: fails before any SA exists', () => {
    const s = scenario('unsupported-algorithms');
    assert.ok(s.ok, s.error);
    const f = s.failure?.lastFailure as { kind: string; status: number; reason: string } | undefined;
    assert.equal(f?.kind, 'sec-agree', JSON.stringify(s.failure));
    assert.match(f?.reason ?? '', /hmac-sha-256-128/);
    assert.ok(!s.states.includes('registered'), s.states.join(' → '));
    assert.equal(s.xfrmStatesWhileRegistered, 0);
    assert.equal(s.xfrmPoliciesAfterStop, 0);
  });

  it('a reg-event NOTIFY with a malformed reginfo body is reported and ignored: still registered', () => {
    const s = scenario('malformed-reginfo');
    assert.ok(s.ok, s.error);
    assert.equal(s.pcscfMangledNotify, true, 'the lab broke the NOTIFY body');
    assert.ok(s.reginfoLog?.some((l) => /NOTIFY body ignored .*malformed XML/.test(l)), (s.reginfoLog ?? []).join('\n'));
    assert.deepEqual(s.statesAfterNotify, [], 'no state change after the broken NOTIFY');
    assert.equal(s.finalState, 'deregistered');
    assert.equal(s.exitCode, 0);
  });
});
