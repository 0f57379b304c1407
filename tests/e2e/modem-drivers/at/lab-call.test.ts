// Calls through imsd with `Modem=at` registered to the lab (host, no IPsec; set-up in at-lab.ts):
// oFono's scripts (Debian ofono-scripts) on imsd's private system bus place an MO call to the
// lab's far end (baresip, +15559999) and answer an MT call from it. The scripted modem plays the
// network's part for the voice bearer: on cue it reports a QCI 1 dedicated bearer on the IMS PDN
// (27.007 10.1.19 "+CGEV: NW ACT <p_cid>,<cid>,<event_type>"), answers the driver's +CGSCONTRDP
// (10.1.24), +CGEQOSRDP (10.1.27) and +CGTFTRDP (10.1.26), and releases it ("+CGEV: NW DEACT")
// once the call is over. imsd's debug log shows the call service taking the bearer and the AT
// driver's media hand-off (startMedia/stopMedia). baresip offers no QoS preconditions, so a third
// call goes to SIPp (sipp-far-end.ts) answering with them: there the bearer the modem reports is
// what lets the call on, and SIPp checks imsd's UPDATE with "a=curr:qos local sendrecv".
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { farEndCommand } from '../../../../lab/core/baresip-ctrl.js';
import { LAB_IMSD } from '../../../../lab/core/ue.js';
import { names } from '../../../../lab/options.js';
import { CallWatch } from '../../../e2e/daemon/main/call-watch.js';
import { imsProperties, waitUntil, type ImsdChild } from '../../../e2e/daemon/main/imsd-process.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import type { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';
import { AtLab, K, MSISDN, OPC, waitFor } from './at-lab.js';
import { registerSipp, SIPP_MSISDN, sippUas } from './sipp-far-end.js';

const SCRIPTS = '/usr/share/ofono/scripts';
const FAR_END = '+15559999';

/**
 * One QCI 1 bearer (cid 2 on the IMS PDN's cid 1), up on cue `<name>-up`, down on `<name>-down`:
 * EPS bearer 6, GBR/MBR 128 kbit/s both ways, one bidirectional UDP filter towards `remote`.
 */
function voiceBearer(name: string, remote: string): string {
  return `cue ${name}-up
<- +CGEV: NW ACT 1,2,0
-> AT+CGSCONTRDP=2
<- +CGSCONTRDP: 2,1,6
<- OK
-> AT+CGEQOSRDP=2
<- +CGEQOSRDP: 2,1,128,128,128,128
<- OK
-> AT+CGTFTRDP=2
<- +CGTFTRDP: 2,1,0,"${remote}.255.255.255.255",17,"0.65535","0.65535","",,"",3,1
<- OK
cue ${name}-down
<- +CGEV: NW DEACT 1,2,0
`;
}

/** resolves once `n` lines of imsd's log match re */
function nthLine(imsd: ImsdChild, re: RegExp, n: number, timeoutMs = 10_000): Promise<void> {
  return waitFor(() => imsd.lines.filter((l) => re.test(l)).length >= n, timeoutMs, imsd.lines);
}

describe('calls through imsd with the AT driver in the lab, the scripted modem giving the voice bearer', function () {
  this.timeout(90_000);
  let lab: AtLab | undefined;
  let modem: ScriptedModem;
  let imsd: ImsdChild | undefined;
  let watch: CallWatch | undefined;

  function script(name: string, args: string[] = []): string {
    const r = spawnSync(join(SCRIPTS, name), args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: lab!.busAddress }, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `${name} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async function farEnd(cmd: string, params = ''): Promise<void> {
    const r = await farEndCommand(lab!.o, cmd, params);
    assert.ok(r.ok, `far end ${cmd} ${params}: ${r.data}`);
  }

  const baresipLog = (): string => readFileSync(join(names(lab!.o).logDir, 'baresip.log'), 'utf8');

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip'), command('python3'), command('dbus-daemon'),
      command('sipp'), file(join(SCRIPTS, 'dial-number')), file('/usr/lib/python3/dist-packages/dbus')]);
    // the far end answers only when told, and speaks the AMR-WB/AMR the AT driver's media side offers
    lab = await AtLab.up('call', { autoAnswer: false, farEndAmr: true });
    modem = await lab.startModem(voiceBearer('mo', lab.o.coreV4) + voiceBearer('mt', lab.o.coreV4) + voiceBearer('pre', lab.o.ueV4));
    imsd = lab.startImsd();
    watch = await waitForWatch(lab.busAddress);
    // IR.92: MMTel is registered once the call service rides on the registration
    await waitUntil('Registered and VoiceCapable', async () => {
      const p = await imsProperties(lab!.busAddress, LAB_IMSD.busName, LAB_IMSD.modemPath);
      return p.Registered === 'true' && p.VoiceCapable === 'true';
    }, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; imsd's log:\n${imsd!.lines.slice(-30).join('\n')}`);
    });
  });

  after(async () => {
    await watch?.close();
    if (imsd && imsd.child.exitCode === null) {
      imsd.child.kill('SIGTERM');
      const killer = setTimeout(() => imsd!.child.kill('SIGKILL'), 10_000);
      await imsd.exited;
      clearTimeout(killer);
    }
    await lab?.down();
  });

  it('MO: dial-number reaches the far end; the QCI 1 bearer reaches the call; the far end answers (media started); hangup-all ends it (media stopped)', async () => {
    const m = watch!.mark();
    const at = baresipLog().length;
    const out = script('dial-number', [FAR_END]);
    const path = /^(\/\S+voicecall\d+)$/m.exec(out)?.[1];
    assert.ok(path, `dial-number printed no call path: ${out}`);
    // the INVITE went out offering preconditions with our segment not yet reserved (no bearer yet)
    assert.match(await imsd!.waitForLine(/INVITE sent/, 10_000), /preconditions=true localQos=false/);
    await watch!.property(path, 'State', 'alerting', m);
    // the network sets the voice bearer up for the call: the driver reads it, the call service takes it
    modem.cue('mo-up');
    await imsd!.waitForLine(/dedicated bearer up bearer=6 cid=2 qci=1 filters=1/, 10_000);
    await nthLine(imsd!, /voice bearer ready=true/, 1);
    await farEnd('accept');
    await watch!.property(path, 'State', 'active', m);
    // the AT driver got the media hand-off: the AP's RTP end towards the far end's, an AMR codec
    await nthLine(imsd!, /\[[^\]]*modem\/at\] startMedia callId=/, 1);
    const start = imsd!.lines.find((l) => /modem\/at\] startMedia/.test(l))!;
    assert.match(start, new RegExp(`local=${lab!.o.ueV4.replace(/\./g, '\\.')}:\\d+ remote=[\\d.]+:\\d+ codec="?AMR(-WB)?/(16000|8000) pt \\d+"? direction=sendrecv`));
    assert.match(script('list-calls'), new RegExp(`\\[ ${path} \\][\\s\\S]*State = active`));
    script('hangup-all');
    await watch!.callRemoved(path, m);
    await nthLine(imsd!, /modem\/at\] stopMedia callId=/, 1);
    assert.match(baresipLog().slice(at), /Call established/);
    // the call over, the network releases the bearer
    modem.cue('mo-down');
    await imsd!.waitForLine(/dedicated bearer down bearer=6 cid=2/, 10_000);
    await nthLine(imsd!, /voice bearer ready=false/, 1);
    assert.deepEqual(watch!.history(path, 'State', m), ['alerting', 'active', 'disconnected']);
  });

  it('MT: the far end dials the MSISDN; the call comes in, the QCI 1 bearer reaches it, answer-calls answers (media started); the far end hangs up (media stopped)', async () => {
    const m = watch!.mark();
    const at = baresipLog().length;
    await farEnd('dial', `sip:${MSISDN}@${lab!.o.domain};user=phone`);
    const added = await watch!.callAdded(m);
    const path = added.body[0] as string;
    assert.match(script('list-calls'), new RegExp(`\\[ ${path} \\][\\s\\S]*LineIdentification = \\${FAR_END}`));
    modem.cue('mt-up');
    await nthLine(imsd!, /dedicated bearer up bearer=6 cid=2 qci=1/, 2);
    await nthLine(imsd!, /voice bearer ready=true/, 2);
    assert.match(script('answer-calls'), new RegExp(`\\[ ${path} \\] incoming`));
    await watch!.property(path, 'State', 'active', m);
    await nthLine(imsd!, /modem\/at\] startMedia callId=/, 2);
    await waitFor(() => /Call established/.test(baresipLog().slice(at)), 10_000, [baresipLog().slice(at)]);
    await farEnd('hangup');
    await watch!.callRemoved(path, m);
    await nthLine(imsd!, /modem\/at\] stopMedia callId=/, 2);
    modem.cue('mt-down');
    await nthLine(imsd!, /dedicated bearer down bearer=6 cid=2/, 2);
    await nthLine(imsd!, /voice bearer ready=false/, 2);
  });

  it('MO with preconditions (SIPp as the far end): 183 (100rel) → PRACK, the call waits for the bearer; the modem\'s QCI 1 bearer → UPDATE with a=curr:qos local sendrecv; 180, 200, active; hangup-all → BYE', async () => {
    await registerSipp(lab!.o, lab!.dir);
    const uas = sippUas(lab!.o, lab!.dir);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const m = watch!.mark();
      const started = imsd!.lines.filter((l) => /modem\/at\] startMedia/.test(l)).length;
      const out = script('dial-number', [SIPP_MSISDN]);
      const path = /^(\/\S+voicecall\d+)$/m.exec(out)?.[1];
      assert.ok(path, `dial-number printed no call path: ${out}`);
      // the 183's answer is known: media starts; without the voice bearer the call does not move on
      await nthLine(imsd!, /modem\/at\] startMedia/, started + 1);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(watch!.history(path, 'State', m), [], 'no alerting before our QoS is met');
      modem.cue('pre-up');
      await nthLine(imsd!, /voice bearer ready=true/, 3);
      await watch!.property(path, 'State', 'alerting', m);
      await watch!.property(path, 'State', 'active', m);
      script('hangup-all');
      await watch!.callRemoved(path, m);
      const r = await uas.done;
      assert.equal(r.code, 0, `SIPp's scenario failed (its checks include the UPDATE's a=curr:qos local sendrecv): ${r.errors.slice(0, 1500)}`);
      assert.match(r.messages, /UPDATE sip:[^\n]*\n[\s\S]*?a=curr:qos local sendrecv/);
      modem.cue('pre-down');
      await nthLine(imsd!, /voice bearer ready=false/, 3);
    } finally {
      uas.kill();
    }
    await modem.finished();
    assert.deepEqual(modem.mismatches, []);
    const all = imsd!.lines.join('\n');
    assert.ok(!all.includes(K) && !all.includes(OPC), 'no key in the log');
  });
});

/** a D-Bus client on imsd's bus once imsd owns its name */
async function waitForWatch(bus: string): Promise<CallWatch> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      return await CallWatch.open(bus, LAB_IMSD.busName, LAB_IMSD.modemPath);
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
