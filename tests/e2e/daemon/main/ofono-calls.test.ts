// Calls through imsd as `npm run lab -- up` starts it (standalone, it owns org.ofono, private system
// bus, UE namespace, registered to the lab's Kamailio P-CSCF/S-CSCF and Cx HSS on this kernel, no
// IPsec), with the lab's far end (baresip, +15559999, answering only when told through its control
// port). oFono's own scripts (Debian ofono-scripts) place, list, answer, reject and hang up the
// calls; a D-Bus client records imsd's signals; baresip's log shows what the far end saw.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { farEndCommand } from '../../../../lab/core/baresip-ctrl.js';
import { isAlive } from '../../../../lab/core/exec.js';
import { down, up } from '../../../../lab/core/lab.js';
import { imsdPaths, LAB_IMSD } from '../../../../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { show } from '../../../../daemon/dbus/client.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { CallWatch } from './call-watch.js';
import { imsProperties, nameHasOwner, REPO, socketsInNs, waitUntil, xfrmInNs } from './imsd-process.js';

const SCRIPTS = '/usr/share/ofono/scripts';
const FAR_END = '+15559999';

describe('calls through standalone imsd in the lab, driven by oFono scripts (host, no IPsec)', function () {
  this.timeout(120_000);
  let o: LabOptions;
  let bus: string;
  let watch: CallWatch;

  function script(name: string, args: string[] = []): string {
    const r = spawnSync(join(SCRIPTS, name), args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `${name} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  const baresipLog = (): string => readFileSync(join(names(o).logDir, 'baresip.log'), 'utf8');
  const imsdLog = (): string => readFileSync(imsdPaths(o).log, 'utf8');

  async function farEnd(cmd: string, params = ''): Promise<void> {
    const r = await farEndCommand(o, cmd, params);
    assert.ok(r.ok, `far end ${cmd} ${params}: ${r.data}`);
  }

  /** what baresip logs from `from` (an offset into its log) on, once it matches re */
  async function farEndSaw(from: number, re: RegExp): Promise<string> {
    let seen = '';
    await waitUntil(`the far end's log to show ${re}`, async () => re.test((seen = baresipLog().slice(from))), 10_000).catch((e: Error) => {
      throw new Error(`${e.message}; it shows:\n${seen.slice(-1500)}`);
    });
    return seen;
  }

  /** the far end dials imsd's MSISDN; resolves with the new call's path once CallAdded arrived */
  async function incoming(m: number): Promise<string> {
    await farEnd('dial', `sip:+15550001@${o.domain};user=phone`);
    const added = await watch.callAdded(m);
    return added.body[0] as string;
  }

  /** dial-number; resolves with the path it printed once the far end rings (State alerting) */
  async function dialAndRing(m: number): Promise<string> {
    const out = script('dial-number', [FAR_END]);
    const path = /^(\/\S+voicecall\d+)$/m.exec(out)?.[1];
    assert.ok(path, `dial-number printed no call path: ${out}`);
    await watch.property(path, 'State', 'alerting', m);
    return path;
  }

  const reason = (path: string, from: number): Promise<string> =>
    watch.signal((s) => s.path === path && s.member === 'DisconnectReason', 10_000, from, `DisconnectReason of ${path}`).then((s) => String(s.body[0]));

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip'), command('dbus-daemon'), command('dbus-send'), file('/usr/bin/python3'),
      file('/usr/lib/python3/dist-packages/dbus'), file(join(SCRIPTS, 'dial-number')), command('ss')]);
    const runDir = mkdtempSync(join(tmpdir(), 'imsdt-calls-'));
    o = defaultOptions({ runDir, prefix: `imsdc${randomBytes(1).toString('hex')}`, ipsec: 'off' });
    bus = imsdPaths(o).busAddress;
    await up(o, { imsd: true, autoAnswer: false, log: () => undefined });
    watch = await CallWatch.open(bus, LAB_IMSD.busName, LAB_IMSD.modemPath);
    // IR.92: MMTel is registered once the call service rides on the registration
    await waitUntil('Registered and VoiceCapable', async () => {
      const p = await imsProperties(bus, LAB_IMSD.busName, LAB_IMSD.modemPath);
      return p.Registered === 'true' && p.VoiceCapable === 'true';
    }, 20_000);
  });

  afterEach(async function () {
    if (!watch || !(await nameHasOwner(bus, LAB_IMSD.busName))) return;
    // a failed test must not leave a call for the next one
    if ((await watch.calls()).length > 0) {
      await farEndCommand(o, 'hangup').catch(() => undefined);
      spawnSync(join(SCRIPTS, 'hangup-all'), [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, timeout: 10_000 });
      await watch.waitForNoCalls(10_000);
    }
  });

  after(async () => {
    await watch?.close();
    if (o) await down(o, { quiet: true });
  });

  it("the README's call dbus-send examples work, the test playing the network between them", async () => {
    const text = readFileSync(join(REPO, 'README.md'), 'utf8');
    const block = /<!-- dbus-call-examples -->([\s\S]*?)<!-- \/dbus-call-examples -->/.exec(text)?.[1];
    assert.ok(block, 'README.md has no dbus-call-examples block');
    const cmds = block.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('dbus-send '));
    assert.ok(cmds.length >= 4, 'too few call examples');
    const m = watch.mark();
    for (const c of cmds) {
      // the network's part before each command (README: the far end answers before SendTones, a call comes in before Answer)
      if (/\.SendTones /.test(c)) {
        await farEnd('accept');
        await watch.property('/imsd_0/voicecall01', 'State', 'active', m);
      }
      if (/voicecall02 org\.ofono\.VoiceCall\.Answer/.test(c)) {
        await watch.callRemoved('/imsd_0/voicecall01', m);
        assert.equal(await incoming(watch.mark()), '/imsd_0/voicecall02');
      }
      const r = spawnSync('sh', ['-c', c], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, `${c}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /method return/, c);
      if (/\.Dial /.test(c)) {
        assert.match(r.stdout, /object path "\/imsd_0\/voicecall01"/);
        await watch.property('/imsd_0/voicecall01', 'State', 'alerting', m);
      }
    }
    await watch.callRemoved('/imsd_0/voicecall02', m);
    // SendTones went out as RFC 4733 events on the call's RTP (the lab's imsd runs it on the AP,
    // ApRtp=true), and the far end decoded every digit
    const events = [...baresipLog().matchAll(/received event: '(.)' \(end=0\)/g)].map((e) => e[1]).join('');
    assert.ok(events.includes('1234#'), `the digits baresip decoded: "${events}"`);
  });

  it('MO: dial-number rings the far end, list-calls shows it, the far end answers, hangup-all ends it with BYE', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await dialAndRing(m);
    assert.match(script('list-calls'), new RegExp(`\\[ ${path} \\][\\s\\S]*State = alerting[\\s\\S]*LineIdentification = \\${FAR_END}|\\[ ${path} \\][\\s\\S]*LineIdentification = \\${FAR_END}[\\s\\S]*State = alerting`));
    await farEnd('accept');
    await watch.property(path, 'State', 'active', m);
    assert.match(script('list-calls'), /State = active/);
    script('hangup-all');
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'local');
    assert.deepEqual(watch.history(path, 'State', m), ['alerting', 'active', 'disconnected']);
    // the far end got the BYE
    assert.match(await farEndSaw(at, /session closed: Connection reset by peer/), /Call established/);
  });

  it('MO answered and hung up by the far end: DisconnectReason remote', async () => {
    const m = watch.mark();
    const path = await dialAndRing(m);
    await farEnd('accept');
    await watch.property(path, 'State', 'active', m);
    await farEnd('hangup');
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'remote');
  });

  it('MO answered, then hung up with hangup-active: BYE, DisconnectReason local', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await dialAndRing(m);
    await farEnd('accept');
    await watch.property(path, 'State', 'active', m);
    assert.match(script('hangup-active'), new RegExp(`\\[ ${path} \\] active`));
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'local');
    await farEndSaw(at, /Call established[\s\S]*session closed: Connection reset by peer/);
  });

  it('MO busy: the far end rejects the ringing call (486); the call ends with the status in Information and the log', async () => {
    const m = watch.mark();
    const path = await dialAndRing(m);
    await farEnd('hangup');
    await watch.callRemoved(path, m);
    assert.notEqual(await reason(path, m), 'local');
    const info = watch.signals.slice(m).find((s) => s.path === path && s.member === 'PropertyChanged' && s.body[0] === 'Information');
    assert.match(info ? show(info.body[1]) : '', /^486 /, watch.describe(m));
    assert.match(imsdLog(), /486/);
  });

  it('MO cancelled before the answer: hangup-all while it rings sends CANCEL; the far end stops ringing', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await dialAndRing(m);
    script('hangup-all');
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'local');
    const seen = await farEndSaw(at, /session closed/);
    assert.doesNotMatch(seen, /Call established/);
    await waitUntil('the far end has no call', async () => /Active calls \(0\)/.test((await farEndCommand(o, 'listcalls')).data), 10_000);
  });

  it('MT: the far end dials; CallAdded incoming with its number; answer-calls answers; the far end hangs up', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await incoming(m);
    const calls = await watch.calls();
    const props = calls.find(([p]) => p === path)?.[1];
    assert.equal(show(props?.State), 'incoming');
    assert.equal(show(props?.LineIdentification), FAR_END);
    assert.match(script('answer-calls'), new RegExp(`\\[ ${path} \\] incoming`));
    await watch.property(path, 'State', 'active', m);
    await farEndSaw(at, /Call established/);
    await farEnd('hangup');
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'remote');
  });

  it('MT answered, then hung up by imsd with hangup-call: the far end gets the BYE', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await incoming(m);
    script('answer-calls');
    await watch.property(path, 'State', 'active', m);
    script('hangup-call', [path]);
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'local');
    await farEndSaw(at, /Call established[\s\S]*session closed: Connection reset by peer/);
  });

  it('MT rejected with reject-calls: the far end gets a final failure response, never a call', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await incoming(m);
    assert.match(script('reject-calls'), new RegExp(`\\[ ${path} \\] incoming`));
    await watch.callRemoved(path, m);
    assert.equal(await reason(path, m), 'local');
    // TS 24.229 / oFono: Hangup on an incoming call rejects it (imsd: 603 Decline)
    const seen = await farEndSaw(at, /session closed: 6\d\d|session closed: 4\d\d/);
    assert.doesNotMatch(seen, /Call established/);
  });

  it('call waiting: a second call while one is active is waiting; release-and-answer, hold-and-answer, swap-calls, hangup-all', async () => {
    const m = watch.mark();
    const state = async (path: string): Promise<string> => show((await watch.calls()).find(([p]) => p === path)?.[1].State);
    const a = await incoming(m);
    script('answer-calls');
    await watch.property(a, 'State', 'active', m);
    // the far end places a second call to imsd while the first one is up
    const b = await incoming(watch.mark());
    assert.equal(await state(b), 'waiting');
    // ReleaseAndAnswer: the active call ends (BYE), the waiting one is answered
    script('release-and-answer');
    await watch.callRemoved(a, m);
    await watch.property(b, 'State', 'active', m);
    const c = await incoming(watch.mark());
    assert.equal(await state(c), 'waiting');
    // HoldAndAnswer: the active call is held (re-INVITE a=sendonly), the waiting one answered
    const atHold = baresipLog().length;
    script('hold-and-answer');
    await watch.property(b, 'State', 'held', m);
    await watch.property(c, 'State', 'active', m);
    await farEndSaw(atHold, /got re-INVITE/);
    // SwapCalls: the held call is resumed and the active one held
    const beforeSwap = watch.mark();
    script('swap-calls');
    await watch.property(b, 'State', 'active', beforeSwap);
    await watch.property(c, 'State', 'held', beforeSwap);
    script('hangup-all');
    await watch.callRemoved(b, m);
    await watch.callRemoved(c, m);
    await waitUntil('the far end has no call', async () => /Active calls \(0\)/.test((await farEndCommand(o, 'listcalls')).data), 10_000);
  });

  // last: it stops the lab's imsd
  it('SIGTERM during an active call: the far end gets a BYE, imsd exits 0 leaving no bus name, socket or SA', async () => {
    const m = watch.mark();
    const at = baresipLog().length;
    const path = await dialAndRing(m);
    await farEnd('accept');
    await watch.property(path, 'State', 'active', m);
    const pid = JSON.parse(readFileSync(names(o).stateFile, 'utf8')).pids.imsd as number;
    const t0 = Date.now();
    process.kill(pid, 'SIGTERM');
    await waitUntil('imsd to exit', async () => !isAlive(pid), 5000, 20);
    console.log(`      stopped in ${Date.now() - t0} ms`);
    await farEndSaw(at, /Call established[\s\S]*session closed: Connection reset by peer/);
    // the call's end reached the bus before the name went
    await watch.callRemoved(path, m, 1000);
    const log = imsdLog();
    const afterSignal = log.slice(log.lastIndexOf('<5>stopping'));
    // the call ends (BYE, seen by the far end above) before the de-registration
    assert.match(afterSignal, /^<5>stopping signal=SIGTERM\n[\s\S]*call ended reason=local[\s\S]*registration state state=deregistered[\s\S]*<5>stopped/);
    assert.equal(await nameHasOwner(bus, LAB_IMSD.busName), false);
    assert.deepEqual((await socketsInNs(names(o).ueNs)).filter((l) => l.includes(`pid=${pid},`)), []);
    assert.deepEqual(await xfrmInNs(names(o).ueNs), { states: 0, policies: 0 });
  });
});
