// The same as ofono-scripts.test.ts with IPsec: inside User-Mode Linux (the host kernel has no
// ESP) `up` starts the lab with sec-agree and imsd with SecAgree=ipsec-3gpp; oFono's dial-number,
// hangup-all and answer-calls place and take a call with the far end over the SAs; list-modems,
// ims-unregister and ims-register drive the registration; the UE's SAs exist while registered and
// are gone after the de-registration and after SIGTERM. The run itself is uml/imsd-uml-run.ts.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInUml } from '../../../../lab/core/uml.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { REPO } from './imsd-process.js';
import type { UmlRunResult } from './uml/imsd-uml-run.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

describe('imsd standalone in the lab with IPsec inside User-Mode Linux, driven by oFono scripts', function () {
  this.timeout(420_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-umld-'));
  const prefix = `ud${randomBytes(3).toString('hex')}`;
  let r: UmlRunResult;
  let consoleOut = '';

  before(async function () {
    requirePrerequisites(this, [root(), command('linux.uml'), command('kamailio'), command('dbus-daemon'), file('/usr/lib/uml/modules'),
      file('/usr/share/ofono/scripts/list-modems'), file('/usr/lib/python3/dist-packages/dbus')]);
    const script = `cd ${REPO}
${process.execPath} --import tsx ${join(REPO, 'tests/e2e/daemon/main/uml/imsd-uml-run.ts')} ${work} ${prefix}
echo "RUN-RC $?"
echo "NETNS-LEFT $(ls /run/netns 2>/dev/null | grep -c ${prefix})"
`;
    const u = await runInUml(script, join(work, 'uml'), { timeoutMs: 400_000, memory: '1024M' });
    consoleOut = u.output;
    assert.ok(existsSync(join(work, 'result.json')), `no result from inside UML: ${u.output.slice(-3000)}`);
    r = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as UmlRunResult;
  });

  after(() => {
    for (const ns of [`${prefix}-core`, `${prefix}-ue`]) rmSync(join('/etc/netns', ns), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('registers with sec-agree; list-modems shows it; four SAs in the UE namespace', () => {
    assert.ok(r.ok, `${r.error}\n${r.imsdLog?.split('\n').slice(-30).join('\n')}\n${consoleOut.slice(-2000)}`);
    assert.equal(r.ipsec, true);
    assert.match(r.listModems!, /\[ org\.ofono\.IpMultimediaSystem \][\s\S]*Registered = 1/);
    // TS 33.203 7.1: two pairs of unidirectional SAs
    assert.equal(r.xfrmRegistered!.states, 4);
    assert.ok(r.xfrmRegistered!.policies > 0);
    console.log(`      figure: registered ${r.registeredAfterUpMs} ms after imsd owned its bus name, inside UML`);
  });

  it('MO over the SAs: dial-number, the far end answers, hangup-all ends it with BYE', () => {
    assert.ok(r.mo, `${r.error}\n${r.imsdLog?.split('\n').slice(-30).join('\n')}`);
    // the far end answers by itself: it may send 180 first or not
    assert.deepEqual(r.mo.states.filter((x) => x !== 'alerting'), ['dialing', 'active', 'disconnected']);
    assert.equal(r.mo.disconnectReason, 'local');
    assert.match(r.mo.farEnd, /Call established[\s\S]*session closed: Connection reset by peer/);
    console.log(`      figure: MO call active ${r.mo.activeAfterMs} ms after Dial, inside UML`);
  });

  it('MT over the SAs: the far end dials, answer-calls answers, the far end hangs up', () => {
    assert.ok(r.mt, `${r.error}\n${r.imsdLog?.split('\n').slice(-30).join('\n')}`);
    assert.deepEqual(r.mt.states, ['incoming', 'active', 'disconnected']);
    assert.equal(r.mt.disconnectReason, 'remote');
    assert.match(r.mt.farEnd, /Call established/);
    // the calls' SIP went through the SAs: at least INVITE, 200, ACK, BYE, 200 each way of the two calls
    assert.ok(r.espPackets && r.espPackets.after - r.espPackets.before >= 10, `ESP packets ${JSON.stringify(r.espPackets)}`);
    console.log(`      figure: the UE's SAs carried ${r.espPackets.after - r.espPackets.before} packets during the two calls`);
    console.log(`      figure: MT call active ${r.mt.activeAfterMs} ms after the far end dialled, inside UML`);
  });

  it('ims-unregister removes the SAs, ims-register installs a new set', () => {
    assert.ok(r.ok, r.error);
    assert.deepEqual(r.xfrmAfterUnregister, { states: 0, policies: 0 });
    assert.equal(r.registeredAgain, true);
    assert.equal(r.xfrmRegisteredAgain!.states, 4);
  });

  it('SIGTERM while registered: de-registers, leaves no SA, policy, socket or bus name', () => {
    assert.ok(r.ok, r.error);
    console.log(`      figure: imsd stopped ${r.stopMs} ms after SIGTERM, inside UML`);
    assert.deepEqual(r.afterStop, { nameOwned: false, sockets: [], xfrm: { states: 0, policies: 0 } });
    // what imsd logged after the signal (ims-unregister had de-registered once before)
    const afterSignal = r.imsdLog!.slice(r.imsdLog!.lastIndexOf('<5>stopping'));
    assert.match(afterSignal, /^<5>stopping signal=SIGTERM\n[\s\S]*state=deregistered[\s\S]*<5>stopped/);
    assert.ok(r.stopMs! < 5000, `stopped after ${r.stopMs} ms`);
    assert.ok(!r.imsdLog!.includes(K) && !r.imsdLog!.includes(OPC), 'no key in the log');
    assert.match(consoleOut, /RUN-RC 0/);
    assert.match(consoleOut, /NETNS-LEFT 0/);
  });
});
