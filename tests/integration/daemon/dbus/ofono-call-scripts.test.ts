// oFono's own call scripts (Debian ofono-scripts, python3-dbus) against imsd standalone (it owns
// org.ofono) on a private dbus-daemon, with a scripted CallBackend: each script works and the
// backend sees the right request for the right call. (ofono-scripts 1.31 has no script that sends
// tones; SendTones is covered by calls.test.ts, imsctl and the README's dbus-send examples.)
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { command, file, requirePrerequisites } from '../../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.js';
import { useServicePerTest, startWithCalls } from './helpers/service-per-test.js';
import { ScriptedCallBackend } from './helpers/scripted-call-backend.js';

const run = promisify(execFile);
const SCRIPTS = '/usr/share/ofono/scripts';
const MODEM = '/imsd_0';
const USED = ['dial-number', 'list-calls', 'answer-calls', 'reject-calls', 'hangup-call', 'hangup-active', 'hangup-all', 'hold-and-answer', 'release-and-answer', 'swap-calls'];

describe('dbus: oFono\'s call scripts against standalone imsd with a scripted CallBackend', function () {
  this.timeout(30000);
  let bus: PrivateBus;
  let calls: ScriptedCallBackend;

  const script = async (name: string, ...args: string[]) =>
    (await run(join(SCRIPTS, name), args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, timeout: 10000 })).stdout;
  const state = (id: string) => calls.calls.find((c) => c.id === id)?.state ?? 'gone';

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon'), file('/usr/bin/python3'), file('/usr/lib/python3/dist-packages/dbus'), ...USED.map((s) => file(join(SCRIPTS, s)))]);
    bus = await startPrivateBus();
  });

  useServicePerTest(async (slot) => {
    calls = new ScriptedCallBackend();
    slot.service = await startWithCalls(bus.address, MODEM, slot.stateDir, calls);
  });

  after(async () => {
    await bus?.stop();
  });

  it('dial-number dials (with and without a CLIR choice), list-calls shows the call, hangup-call ends it', async () => {
    let out = await script('dial-number', '+15559999');
    assert.match(out, /^Using modem \/imsd_0\n\/imsd_0\/voicecall01\n$/);
    const id = calls.idIn('dialing');
    calls.set(id, { state: 'alerting' });
    out = await script('list-calls');
    assert.match(out, /\[ \/imsd_0 \]\n {4}\[ \/imsd_0\/voicecall01 \]\n/);
    assert.match(out, /State = alerting/);
    assert.match(out, /LineIdentification = \+15559999/);
    assert.match(out, /Emergency = 0/);
    await script('hangup-call', `${MODEM}/voicecall01`);
    assert.equal(state(id), 'gone');
    out = await script('dial-number', '+15550003', 'enabled');
    assert.match(out, /\/imsd_0\/voicecall02/);
    assert.deepEqual(calls.ops, ['dial +15559999 default', `hangup ${id}`, 'dial +15550003 enabled']);
  });

  it('dial-number to an emergency number fails with org.ofono.Error.NotImplemented (the dialer falls back to CS)', async () => {
    await assert.rejects(script('dial-number', '112'), /org\.ofono\.Error\.NotImplemented/);
    assert.deepEqual(await script('list-calls'), '[ /imsd_0 ]\n');
  });

  it('answer-calls answers the incoming call; hangup-active ends the active one', async () => {
    const { id } = calls.incoming('+15550002', 'Alice');
    let out = await script('answer-calls');
    assert.match(out, /\[ \/imsd_0\/voicecall01 \] incoming/);
    assert.equal(state(id), 'active');
    out = await script('list-calls');
    assert.match(out, /Name = Alice/);
    assert.match(out, /StartTime = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}/);
    out = await script('hangup-active');
    assert.match(out, /\[ \/imsd_0\/voicecall01 \] active/);
    assert.equal(state(id), 'gone');
    assert.deepEqual(calls.ops, [`answer ${id}`, `hangup ${id}`]);
  });

  it('reject-calls rejects the incoming call (Hangup while incoming)', async () => {
    const { id } = calls.incoming('+15550002');
    await script('reject-calls');
    assert.deepEqual(calls.ops, [`hangup ${id}`]);
    assert.equal(state(id), 'gone');
  });

  it('call waiting: hold-and-answer, swap-calls, release-and-answer, hangup-all', async () => {
    await script('dial-number', '+15559999');
    const first = calls.idIn('dialing');
    calls.answered(first);
    const second = calls.incoming('+15550002').id;
    await script('hold-and-answer');
    assert.deepEqual([state(first), state(second)], ['held', 'active']);
    await script('swap-calls');
    assert.deepEqual([state(first), state(second)], ['active', 'held']);
    const third = calls.incoming('+15550003').id;
    const out = await script('release-and-answer');
    assert.match(out, /\[ \/imsd_0 \]/);
    assert.deepEqual([state(first), state(second), state(third)], ['gone', 'held', 'active']);
    await script('hangup-all');
    assert.deepEqual(calls.calls, []);
    assert.deepEqual(calls.ops, ['dial +15559999 default', 'holdAndAnswer', 'swapCalls', 'releaseAndAnswer', 'hangupAll']);
  });

  it('scripts refused by oFono\'s rules report the oFono error: answer-calls finds nothing; hold-and-answer without a waiting call', async () => {
    assert.equal(await script('answer-calls'), '[ /imsd_0 ]\n');
    await assert.rejects(script('hold-and-answer'), /org\.ofono\.Error\.Failed/);
    assert.deepEqual(calls.ops, []);
  });
});
