// MMTel calls between imsd (registration + call service with a SimulatedDriver, in the lab's UE
// namespace, no IPsec: the host has no ESP) and the lab's far end (baresip, +15559999, behind the
// S-CSCF), through Kamailio's P-CSCF and S-CSCF: MO answered and hung up from each side, MT
// answered and rejected, cancel before answer, busy (486).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { farEndCommand } from '../../../../lab/core/baresip-ctrl.js';
import { down, up } from '../../../../lab/core/lab.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { command, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { CallUe } from './call/call-ue.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('imsd calls against the lab on the host (no IPsec)', function () {
  this.timeout(60_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-callhost-'));
  let o: LabOptions;
  let ue: CallUe;
  const farEnd = async (cmd: string, params = ''): Promise<string> => {
    const r = await farEndCommand(o, cmd, params);
    assert.ok(r.ok, `far end ${cmd}: ${r.data}`);
    return r.data;
  };
  const baresipLog = (): string => readFileSync(join(names(o).logDir, 'baresip.log'), 'utf8');

  before(async function () {
    this.timeout(120_000);
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip')]);
    o = defaultOptions({ runDir: join(work, 'lab'), prefix: `ch${randomBytes(3).toString('hex')}`, ipsec: 'off' });
    await up(o, { autoAnswer: false, log: () => undefined });
    ue = new CallUe(names(o).ueNs, { pcscf: o.coreV4, ue: o.ueV4, imsi: '001010000000001', k: K, opc: OPC, sqnStateFile: join(work, 'sqn.json') }, work, 'ue');
    await ue.waitFor((e) => e.event === 'reg' && e.snapshot?.state === 'registered', 30_000, 0, 'registered');
  });

  after(async function () {
    this.timeout(60_000);
    if (ue) await ue.stop();
    if (o) await down(o, { quiet: true, keepRunDir: !!process.env.IMSD_KEEP });
    if (!process.env.IMSD_KEEP) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  });

  afterEach(async function () {
    // leave no call behind for the next test
    await ue?.request('hangupAll').catch(() => undefined);
    await farEndCommand(o, 'hangup').catch(() => undefined);
    await sleep(300);
  });

  it('MO: INVITE through P-CSCF and S-CSCF, the far end rings, answers, imsd hangs up (BYE)', async () => {
    const t0 = Date.now();
    const call = await ue.request<{ id: string; state: string }>('dial', '+15559999', '');
    assert.equal(call.state, 'dialing');
    await ue.waitState(call.id, 'alerting');
    await farEnd('accept');
    const active = await ue.waitState(call.id, 'active');
    console.log(`      figure: dial → active ${active.at - t0} ms (far end answered by command)`);
    const media = ue.media(call.id);
    assert.equal(media[0]?.op, 'start');
    const s = media[0]!.session as { codec: { name: string; payloadType: number }; remoteAddress: string; remotePort: number };
    assert.equal(s.codec.name, 'PCMU');
    assert.equal(s.codec.payloadType, 0);
    assert.equal(s.remoteAddress, '127.0.0.1');
    await ue.request('hangup', call.id);
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'local');
    assert.deepEqual(ue.states(call.id), ['dialing', 'alerting', 'active', 'disconnected']);
    await ue.waitFor((e) => e.event === 'media' && e.record?.op === 'stop' && e.record.callId === call.id, 5000, 0, 'stopMedia');
  });

  it('MO: the far end hangs up (BYE from the far end): disconnected, reason remote', async () => {
    const call = await ue.request<{ id: string }>('dial', '+15559999', '');
    await ue.waitState(call.id, 'alerting');
    await farEnd('accept');
    await ue.waitState(call.id, 'active');
    await farEnd('hangup');
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'remote');
  });

  it('MO: cancelled before answer: CANCEL, 487, reason local', async () => {
    const call = await ue.request<{ id: string }>('dial', '+15559999', '');
    await ue.waitState(call.id, 'alerting');
    await ue.request('hangup', call.id);
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'local');
    assert.match(removed.call!.information ?? '', /^487/);
  });

  it('MO: the far end rejects: busy, reason remote with the status', async () => {
    const call = await ue.request<{ id: string }>('dial', '+15559999', '');
    await ue.waitState(call.id, 'alerting');
    await farEnd('hangup');
    const removed = await ue.waitRemoved(call.id);
    assert.equal(removed.call!.disconnectReason, 'remote');
    assert.match(removed.call!.information ?? '', /^486 /);
  });

  it('MT: the far end calls +15550001, imsd shows it incoming with the caller, answers, the far end hangs up', async () => {
    const from = ue.events.length;
    await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
    const added = await ue.waitFor((e) => e.event === 'added', 10_000, from, 'incoming call');
    assert.equal(added.call!.state, 'incoming');
    assert.equal(added.call!.lineIdentification, '+15559999');
    await ue.request('answer', added.call!.id);
    await ue.waitState(added.call!.id, 'active');
    for (let i = 0; i < 50 && !/Call established/.test(baresipLog()); i++) await sleep(100);
    await farEnd('hangup');
    const removed = await ue.waitRemoved(added.call!.id);
    assert.equal(removed.call!.disconnectReason, 'remote');
  });

  it('MT: imsd rejects (603 Decline)', async () => {
    const from = ue.events.length;
    await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
    const added = await ue.waitFor((e) => e.event === 'added', 10_000, from, 'incoming call');
    await ue.request('hangup', added.call!.id);
    const removed = await ue.waitRemoved(added.call!.id);
    assert.equal(removed.call!.information, '603 Decline');
    for (let i = 0; i < 50 && !/603/.test(baresipLog()); i++) await sleep(100);
    assert.match(baresipLog(), /603 Decline/);
  });
});
