// One MO and one MT call between imsd (registration with sec-agree + call service, SimulatedDriver)
// and the lab's far end, with real ESP inside User-Mode Linux (the host kernel has no ESP): the
// INVITEs and everything after them travel over the UE's SAs (their packet counters grow).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInUml } from '../../../../lab/core/uml.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import type { CallRunPlan, CallRunResult } from './call/call-run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..', '..', '..');

describe('imsd calls with ESP inside User-Mode Linux', function () {
  this.timeout(330_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-calluml-'));
  const prefix = `cu${randomBytes(3).toString('hex')}`;
  let result: CallRunResult;
  let output = '';

  before(async function () {
    requirePrerequisites(this, [root(), command('linux.uml'), command('kamailio'), command('baresip'), file('/usr/lib/uml/modules')]);
    const plan: CallRunPlan = { runDir: join(work, 'lab'), prefix, work };
    writeFileSync(join(work, 'plan.json'), JSON.stringify(plan));
    const script = `cd ${REPO}
${process.execPath} --import tsx ${join(HERE, 'call', 'call-run.ts')} ${join(work, 'plan.json')}
echo "CALLRUN-RC $?"
echo "NETNS-LEFT $(ls /run/netns 2>/dev/null | grep -c ${prefix})"
`;
    const r = await runInUml(script, join(work, 'uml'), { timeoutMs: 300_000 });
    output = r.output;
    assert.ok(existsSync(join(work, 'result.json')), `no result from inside UML: ${r.output.slice(-3000)}`);
    result = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as CallRunResult;
  });

  after(() => {
    for (const ns of [`${prefix}-core`, `${prefix}-ue`]) rmSync(join('/etc/netns', ns), { recursive: true, force: true });
    if (!process.env.IMSD_KEEP) rmSync(work, { recursive: true, force: true });
  });

  it('registers over sec-agree, calls the far end (answered, hung up by imsd) and takes its call (answered, hung up by the far end), all over ESP', () => {
    assert.equal(result.error, undefined, `${result.error}\n${output.slice(-2500)}`);
    assert.equal(result.ipsec, true);
    assert.ok(result.registered);
    assert.equal(result.xfrmStates, 4, 'four SAs while registered (TS 33.203 7.1)');
    assert.ok(result.mo?.ok, `MO: ${result.mo?.error}`);
    assert.deepEqual(result.mo.states, ['dialing', 'alerting', 'active', 'disconnected']);
    assert.equal(result.mo.disconnectReason, 'local');
    assert.deepEqual(result.mo.mediaOps, ['start', 'stop']);
    assert.ok(result.mt?.ok, `MT: ${result.mt?.error}`);
    assert.deepEqual(result.mt.states, ['incoming', 'active', 'disconnected']);
    assert.equal(result.mt.lineIdentification, '+15559999');
    assert.equal(result.mt.disconnectReason, 'remote');
    // INVITE, 180, 200, ACK, BYE, 200 of two calls at least went through the UE's SAs
    assert.ok(result.espPacketsAfter! - result.espPacketsBefore! >= 12, `ESP packets ${result.espPacketsBefore} → ${result.espPacketsAfter}`);
    assert.equal(result.ueExit, 0);
    assert.match(output, /CALLRUN-RC 0/);
    assert.match(output, /NETNS-LEFT 0/);
    console.log(`      figure: registered ${result.registeredMs} ms after start inside UML; ESP packets over the UE's SAs during the two calls: ${result.espPacketsAfter! - result.espPacketsBefore!}`);
  });
});
