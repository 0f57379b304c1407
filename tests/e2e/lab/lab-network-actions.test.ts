// The lab's network side with SIPp (Debian sip-tester, its own IMS AKA) as the UE, without IPsec:
// the reg-event NOTIFY the S-CSCF sends through the P-CSCF reaches the UE, the HSS's SQN can be set
// ahead (seen in the next vector the HSS issues), and a P-CSCF address that never answers (no
// response, no ICMP error; the real P-CSCF never sees the request).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextSqn } from '../../../lab/hss/sqn.js';
import { computeOpc as opc } from '../../../daemon/auth/milenage.js';
import { command, requirePrerequisites, root } from '../../helpers/prereq.js';
import { runUntilNoSippAkaDefect, sippAkaDefectProven } from '../../helpers/sipp-runner.js';
import { SIPP_OK_TO_LAST } from '../../helpers/sipp-scenario.js';
import { makeTestLab, type TestLab } from '../../integration/lab/lab-cli.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
// SIPp takes aka_K / aka_OP / aka_AMF byte for byte (see sipp-call.test.ts).
const K_TEXT = 'imsdlabsippkey02';
const OP_TEXT = 'imsdlabsippop002';
const AMF_TEXT = 'ab';
const IMSI = '001010000000078';
// its own subscriber: the S-CSCF keeps the reg-event subscriptions of earlier SIPp runs of IMSI and
// NOTIFYs them too, so the P-CSCF's last relayed NOTIFY for IMSI may belong to a dialog SIPp has forgotten
const IMSI_DEREG = '001010000000080';
// its own subscriber too: re-registering IMSI made the S-CSCF NOTIFY the reg-event dialog the first
// test's SIPp had left, at the same host:port, so this SIPp got a stray NOTIFY
const IMSI_SQN = '001010000000079';
// one SIPp port per subscriber: the P-CSCF finds a UE by contact host:port
const PORT: Record<string, string> = { [IMSI]: '5060', [IMSI_DEREG]: '5062', [IMSI_SQN]: '5064' };

interface Status {
  pcscf: { address: string; port: number }; deadPcscf: { address: string; address6: string };
  ueAddress: string; ueNamespace: string; logDir: string;
}

describe('imsd-lab network-side actions with SIPp as the UE', function () {
  this.timeout(120_000);
  let lab: TestLab;
  let status: Status;
  let dir: string;

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip'), command('sipp')]);
    lab = makeTestLab();
    dir = dirname(lab.runDir);
    const up = await lab.cli(['up', '--no-ipsec']);
    assert.equal(up.code, 0, up.stderr);
    const k = Buffer.from(K_TEXT);
    for (const [imsi, msisdn] of [[IMSI, '+15550078'], [IMSI_DEREG, '+15550080'], [IMSI_SQN, '+15550079']] as const) {
      const add = await lab.cli([
        'subscriber', 'add', '--imsi', imsi, '--k', k.toString('hex'), '--opc', opc(k, Buffer.from(OP_TEXT)).toString('hex'),
        '--msisdn', msisdn, '--amf', Buffer.from(AMF_TEXT).toString('hex'),
      ]);
      assert.equal(add.code, 0, add.stderr);
    }
    status = JSON.parse((await lab.cli(['status', '--json'])).stdout) as Status;
  });

  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  after(async function () {
    if (!lab) return;
    await lab.cli(['down']);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * SIPp as a UE that registers: resolves once SIPp logged REGISTERED or ended. A run that ended on
   * SIPp 3.6.1's RES zero-byte defect (tests/helpers/sipp-runner.ts, and on nothing else) is
   * followed by a new run, at most 3 runs; any other outcome is the test's to judge.
   */
  async function sippRegistering(target: string, name: string, extra: string[], tail = '', imsi = IMSI): Promise<ReturnType<typeof sipp>> {
    const secrets = { k: Buffer.from(K_TEXT), op: Buffer.from(OP_TEXT), amf: Buffer.from(AMF_TEXT) };
    return runUntilNoSippAkaDefect(
      async (attempt) => {
        const run = sipp(target, `${name}-${attempt}`, extra, tail, imsi);
        let ended = false;
        void run.done.then(() => (ended = true));
        while (!ended && !read(run.log).includes('REGISTERED')) await new Promise((r) => setTimeout(r, 100));
        if (ended) await run.done;
        return { run, ended, attempt };
      },
      ({ run, ended, attempt }) => {
        if (!ended) return false;
        const trace = readdirSync(dir).filter((f) => f.startsWith(`${name}-${attempt}_`) && f.endsWith('_messages.log')).map((f) => read(join(dir, f))).join('');
        return sippAkaDefectProven(secrets, { errors: read(run.errors), trace });
      },
      { name },
    ).then((r) => r.run);
  }

  /** Start SIPp in the UE namespace; resolves with its exit code once it ends. */
  function sipp(target: string, name: string, extra: string[] = [], tail = '', imsi = IMSI): { done: Promise<number>; log: string; errors: string } {
    const scenario = readFileSync(join(HERE, 'sipp', 'register-subscribe.xml'), 'utf8').replace('</scenario>', `${tail}</scenario>`)
      .replaceAll('IMSI', imsi).replaceAll('DOMAIN', DOMAIN)
      .replaceAll('AKA_K', K_TEXT).replaceAll('AKA_OP', OP_TEXT).replaceAll('AKA_AMF', AMF_TEXT);
    const sf = join(dir, `${name}.xml`);
    writeFileSync(sf, scenario);
    const log = join(dir, `${name}.log`);
    const errors = join(dir, `${name}-errors.log`);
    const child = spawn('ip', [
      'netns', 'exec', status.ueNamespace, 'sipp', target, '-sf', sf, '-i', status.ueAddress, '-p', PORT[imsi] ?? '5060', '-m', '1',
      '-nostdin', '-trace_msg', '-trace_logs', '-log_file', log, '-trace_err', '-error_file', errors, '-timeout_error', ...extra,
    ], { cwd: dir, stdio: 'ignore' });
    children.push(child);
    return { done: new Promise((res) => child.on('exit', (code) => res(code ?? 1))), log, errors };
  }
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');

  it('reg-event: the NOTIFY from the S-CSCF reaches the UE through the P-CSCF (no sec-agree)', async () => {
    const run = await sippRegistering(`${status.pcscf.address}:${status.pcscf.port}`, 'regevent', ['-timeout', '30']);
    const code = await run.done;
    assert.equal(code, 0, `SIPp: ${read(run.errors).slice(0, 1200)}\nP-CSCF: ${read(join(status.logDir, 'pcscf.log')).split('\n').filter((l) => /ERROR.*send|NOTIFY/.test(l)).slice(-4).join('\n')}`);
    assert.match(read(run.log), /NOTIFY-1 \[?state=.active./);
  });

  it('deregister: the UE gets the de-registration NOTIFY in its reg-event dialog (contact terminated, deactivated)', async () => {
    // after NOTIFY-1 (and the SUBSCRIBE's 200 if NOTIFY-1 overtook it), the lab's NOTIFY, answered
    const tail = `  <recv response="200" optional="true"/>
  <recv request="NOTIFY">
    <action>
      <ereg regexp="&lt;contact [^&gt;]*&gt;" search_in="body" check_it="true" assign_to="contact"/>
      <ereg regexp="Subscription-State:.*" search_in="msg" check_it="true" assign_to="substate"/>
      <log message="NOTIFY-2 CONTACT [$contact] [$substate]"/>
    </action>
  </recv>
${SIPP_OK_TO_LAST}`;
    const run = await sippRegistering(`${status.pcscf.address}:${status.pcscf.port}`, 'dereg', ['-timeout', '40'], tail, IMSI_DEREG);
    const end = Date.now() + 30_000;
    while (!read(run.log).includes('NOTIFY-1') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.match(read(run.log), /NOTIFY-1/, read(run.errors).slice(0, 800));
    const d = await lab.cli(['deregister', '--imsi', IMSI_DEREG]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /SIP\/2\.0 200 OK/);
    assert.equal(await run.done, 0, read(run.errors).slice(0, 800));
    const line = /NOTIFY-2 .*/.exec(read(run.log))?.[0] ?? '';
    assert.match(line, /<contact [^\]]*state="terminated" event="deactivated"/, line);
    assert.match(line, /Subscription-State: terminated;reason=deactivated/, line);
  });

  it('subscriber sqn: the HSS issues the next vector after the SQN it was given', async () => {
    const sqn = '7ffff0000021';
    const r = await lab.cli(['subscriber', 'sqn', '--imsi', IMSI_SQN, '--sqn', sqn]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /the HSS has it/);
    const saved = JSON.parse(readFileSync(join(lab.runDir, 'subscribers.json'), 'utf8')) as { imsi: string; sqn: string; k: string }[];
    assert.equal(saved.find((s) => s.imsi === IMSI_SQN)?.sqn, sqn);
    const run = await sippRegistering(`${status.pcscf.address}:${status.pcscf.port}`, 'sqn', ['-timeout', '30'], '', IMSI_SQN);
    assert.equal(await run.done, 0, read(run.errors).slice(0, 800));
    assert.match(read(run.log), /REGISTERED/);
    const expected = nextSqn(BigInt(`0x${sqn}`)).toString(16).padStart(12, '0');
    const hss = read(join(status.logDir, 'hss.log'));
    assert.match(hss, new RegExp(`user=${IMSI_SQN}@\\S+ .*sqn=${expected}`), hss.split('\n').filter((l) => l.includes('MAR')).slice(-3).join('\n'));
    // SIPp's AKA does not check freshness, so it registered; the value is in the HSS's own file
    assert.ok(!hss.includes(Buffer.from(K_TEXT).toString('hex')), 'no K in the HSS log');
  });

  it('the dead P-CSCF address never answers and the real P-CSCF never sees the request', async () => {
    const before = (read(join(status.logDir, 'pcscf.log')).match(/PCSCF: REGISTER/g) ?? []).length;
    const t0 = Date.now();
    const run = sipp(`${status.deadPcscf.address}:5060`, 'dead', ['-timeout', '3']);
    const code = await run.done;
    assert.notEqual(code, 0, 'SIPp must fail: nobody answers');
    assert.ok(Date.now() - t0 >= 2500, 'it waited for the timeout (no ICMP error cut it short)');
    const log = read(run.log);
    assert.ok(!/REGISTERED/.test(log));
    const after = (read(join(status.logDir, 'pcscf.log')).match(/PCSCF: REGISTER/g) ?? []).length;
    assert.equal(after, before, 'the P-CSCF received nothing');
    // the UE namespace resolves the dead address to the lab's unowned MAC, permanently
    const neigh = await new Promise<string>((res) => execFile('ip', ['-n', status.ueNamespace, 'neigh', 'show', status.deadPcscf.address], (_e, out) => res(out)));
    assert.match(neigh, /lladdr 02:00:5e:ad:de:ad PERMANENT/);
  });
});
