// End to end through the lab with SIPp (Debian sip-tester) as the UE, using SIPp's own IMS AKA
// (Milenage, RFC 3310): REGISTER via the P-CSCF to the S-CSCF (no sec-agree), 200 OK with
// Service-Route and P-Associated-URI, then an INVITE to the far-end number answered by baresip, BYE.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeOpc as opc } from '../../../daemon/auth/milenage.js';
import { command, requirePrerequisites, root } from '../../helpers/prereq.js';
import { runUntilNoSippAkaDefect, sippAkaDefectProven } from '../../helpers/sipp-runner.js';
import { makeTestLab, type TestLab } from '../../integration/lab/lab-cli.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
// SIPp copies aka_K / aka_OP / aka_AMF byte for byte from the scenario text (no hex decoding), so
// this subscriber's K, OP and AMF are printable bytes; the HSS gets the same values in hex, with
// OPc = AES-128_K(OP) xor OP (TS 35.206 4.1).
const K_TEXT = 'imsdlabsippkey01';
const OP_TEXT = 'imsdlabsippop001';
const AMF_TEXT = 'ab';
const IMSI = '001010000000077';

describe('imsd-lab end to end with SIPp as the UE', function () {
  this.timeout(120_000);
  let lab: TestLab;

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('baresip'), command('sipp'), command('tshark')]);
    lab = makeTestLab();
    const up = await lab.cli(['up', '--no-ipsec']);
    assert.equal(up.code, 0, up.stderr);
  });

  after(async function () {
    if (!lab) return;
    await lab.cli(['down']);
    rmSync(dirname(lab.runDir), { recursive: true, force: true });
  });

  it('registers with AKA, gets Service-Route and P-Associated-URI, calls the far end and hangs up', async () => {
    const k = Buffer.from(K_TEXT);
    const add = await lab.cli([
      'subscriber', 'add', '--imsi', IMSI, '--k', k.toString('hex'), '--opc', opc(k, Buffer.from(OP_TEXT)).toString('hex'),
      '--msisdn', '+15550077', '--amf', Buffer.from(AMF_TEXT).toString('hex'),
    ]);
    assert.equal(add.code, 0, add.stderr);
    const status = JSON.parse((await lab.cli(['status', '--json'])).stdout) as {
      pcscf: { address: string; port: number }; ueAddress: string; ueNamespace: string; pcap: string; logDir: string;
    };
    const scenario = readFileSync(join(HERE, 'sipp', 'register-call.xml'), 'utf8')
      .replaceAll('IMSI', IMSI)
      .replaceAll('DOMAIN', DOMAIN)
      .replaceAll('AKA_K', K_TEXT)
      .replaceAll('AKA_OP', OP_TEXT)
      .replaceAll('AKA_AMF', AMF_TEXT)
      .replaceAll('FAR_END', '+15559999');
    const dir = dirname(lab.runDir);
    const sf = join(dir, 'register-call.xml');
    writeFileSync(sf, scenario);
    const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    // a run that SIPp 3.6.1's RES zero-byte defect ended (proven, tests/helpers/sipp-runner.ts) is run again
    const { result, errors, logFile } = await runUntilNoSippAkaDefect(
      async (attempt) => {
        const logFile = join(dir, `sipp-${attempt}.log`);
        const errorFile = join(dir, `sipp-errors-${attempt}.log`);
        const messageFile = join(dir, `sipp-messages-${attempt}.log`);
        const result = await new Promise<{ code: number; out: string }>((res) => {
          execFile(
            'ip',
            [
              'netns', 'exec', status.ueNamespace, 'sipp', `${status.pcscf.address}:${status.pcscf.port}`, '-sf', sf,
              '-i', status.ueAddress, '-p', '5060', '-m', '1', '-nostdin', '-timeout', '30', '-timeout_error',
              '-trace_logs', '-log_file', logFile, '-trace_err', '-error_file', errorFile, '-trace_msg', '-message_file', messageFile,
            ],
            { cwd: dir, timeout: 60_000 },
            (err, stdout, stderr) => res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
          );
        });
        return { result, errors: read(errorFile), trace: read(messageFile), logFile };
      },
      (r) => r.result.code !== 0 && sippAkaDefectProven({ k, op: Buffer.from(OP_TEXT), amf: Buffer.from(AMF_TEXT) }, r),
      { name: 'register-call' },
    );
    const tail = (f: string) => readFileSync(join(status.logDir, f), 'utf8').split('\n').filter((l) => /ERROR|SCSCF:|PCSCF:|MAR|SAR/.test(l)).slice(-12).join('\n');
    assert.equal(result.code, 0, `SIPp failed (${result.code}): ${errors.slice(0, 600)}\nS-CSCF:\n${tail('scscf.log')}\nHSS:\n${tail('hss.log')}`);
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, /SERVICE-ROUTE \s*<sip:orig@scscf\.ims\.mnc001\.mcc001\.3gppnetwork\.org:6060;lr>/);
    assert.match(log, /P-ASSOCIATED-URI \s*.*<sip:\+15550077@ims\.mnc001\.mcc001\.3gppnetwork\.org>.*<tel:\+15550077>/);

    // baresip (the far end, reached only through the S-CSCF's static route) reports the call itself
    const baresipLog = (): string => readFileSync(`${status.logDir}/baresip.log`, 'utf8');
    for (let i = 0; i < 50 && !/Call established[\s\S]*session closed/.test(baresipLog()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(baresipLog(), /Call established: sip:[\s\S]*session closed/, `baresip log:\n${baresipLog().slice(-1500)}`);
    // The lab's pcap of the core shows the path UE -> P-CSCF -> S-CSCF -> baresip. Under load the
    // capture has been seen to drop single packets, so gaps are reported, not failed.
    const sip = await new Promise<string>((res, rej) =>
      execFile('tshark', ['-r', status.pcap, '-d', 'udp.port==5090,sip', '-d', 'udp.port==6060,sip', '-Y', 'sip', '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', '_ws.col.Info'],
        (err, out) => (err ? rej(err) : res(out))),
    );
    const expected = [/6060\t5090\tRequest: INVITE sip:\+15559999@/, /5090\t6060\tStatus: 200 [^\n]*\(INVITE\)/,
      /6060\t5090\tRequest: BYE /, /5090\t6060\tStatus: 200 OK \(BYE\)/];
    const missing = expected.filter((re) => !re.test(sip));
    if (missing.length > 0) {
      console.warn(`  *** the lab capture ${status.pcap} missed ${missing.length} of the call's packets (known capture issue); SIPp and baresip proved the call ***`);
    }
    // the S-CSCF authenticated the UE through the HSS (MAR, then SAR)
    const hssLog = readFileSync(join(status.logDir, 'hss.log'), 'utf8');
    assert.match(hssLog, /MAR/);
    assert.match(hssLog, /SAR/);
    assert.ok(!hssLog.includes(k.toString('hex')), 'the HSS log must not contain K');
  });
});
