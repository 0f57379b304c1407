// The lab HSS as a process (lab/hss/main.ts) on host loopback with an ephemeral port:
// capabilities exchange, watchdog, MAR, SQN write-back, subscriber reload, malformed input,
// DPR, secrets kept out of the log, clean exit on SIGTERM.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findAvp, groupedAvp, readGrouped, readUnsigned32, unsigned32Avp, utf8Avp, addressAvp } from '../../../../lab/diameter/avp.js';
import { BaseAvp, CxAvp, baseKey, cx } from '../../../../lab/diameter/dictionary.js';
import type { DiameterMessage } from '../../../../lab/diameter/message.js';
import { TestDiameterClient } from './diameter-client.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

function subscribers(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    imsi: `00101000000000${i + 1}`, k: K, opc: OPC, amf: '8000', sqn: '000000000000', msisdn: `+1555000${i + 1}`,
  }));
}

function resultCode(m: DiameterMessage): number | undefined {
  const rc = findAvp(m.avps, baseKey(BaseAvp.ResultCode));
  return rc ? readUnsigned32(rc) : undefined;
}

const cer = {
  commandCode: 257, applicationId: 0, proxiable: false,
  avps: [
    utf8Avp(baseKey(BaseAvp.OriginHost), `scscf.${DOMAIN}`), utf8Avp(baseKey(BaseAvp.OriginRealm), DOMAIN),
    addressAvp(baseKey(BaseAvp.HostIpAddress), '127.0.0.1'), unsigned32Avp(baseKey(BaseAvp.VendorId), 10415),
    utf8Avp(baseKey(BaseAvp.ProductName), 'test', false),
    groupedAvp(baseKey(BaseAvp.VendorSpecificApplicationId), [
      unsigned32Avp(baseKey(BaseAvp.VendorId), 10415), unsigned32Avp(baseKey(BaseAvp.AuthApplicationId), 16777216),
    ]),
  ],
};

function mar(imsi: string): Omit<DiameterMessage, 'hopByHop' | 'endToEnd' | 'request' | 'error'> {
  return {
    commandCode: 303, applicationId: 16777216, proxiable: true,
    avps: [
      utf8Avp(baseKey(BaseAvp.SessionId), `scscf.${DOMAIN};1;${imsi}`),
      utf8Avp(baseKey(BaseAvp.OriginHost), `scscf.${DOMAIN}`), utf8Avp(baseKey(BaseAvp.OriginRealm), DOMAIN),
      utf8Avp(baseKey(BaseAvp.DestinationRealm), DOMAIN),
      utf8Avp(baseKey(BaseAvp.UserName), `${imsi}@${DOMAIN}`), utf8Avp(cx(CxAvp.PublicIdentity), `sip:${imsi}@${DOMAIN}`),
      unsigned32Avp(cx(CxAvp.SipNumberAuthItems), 1),
      groupedAvp(cx(CxAvp.SipAuthDataItem), [utf8Avp(cx(CxAvp.SipAuthenticationScheme), 'Digest-AKAv1-MD5')]),
    ],
  };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('lab/hss main.ts (process, loopback)', function () {
  this.timeout(30000);
  let dir: string;
  let child: ChildProcess | undefined;
  let out = '';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imsdt-hss-'));
    out = '';
  });

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves CER/DWR/MAR/DPR, persists SQN, reloads subscribers, rejects garbage, logs no secrets, exits 0 on SIGTERM', async () => {
    const subsFile = join(dir, 'subscribers.json');
    writeFileSync(subsFile, JSON.stringify(subscribers(2)));
    const configFile = join(dir, 'hss.json');
    writeFileSync(configFile, JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 }, originHost: `hss.${DOMAIN}`, originRealm: DOMAIN, domain: DOMAIN, subscribersFile: subsFile,
    }));
    child = spawn(process.execPath, ['--import', 'tsx', 'lab/hss/main.ts', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    await waitFor(() => /listening on 127\.0\.0\.1:\d+/.test(out), 'listening line');
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    assert.match(out, /2 subscribers/);

    const client = await TestDiameterClient.connect('127.0.0.1', port);
    const cea = await client.request(cer);
    assert.equal(resultCode(cea), 2001);
    assert.equal(findAvp(cea.avps, baseKey(BaseAvp.OriginHost))!.data.toString(), `hss.${DOMAIN}`);
    const vsai = readGrouped(findAvp(cea.avps, baseKey(BaseAvp.VendorSpecificApplicationId))!);
    assert.equal(readUnsigned32(findAvp(vsai, baseKey(BaseAvp.AuthApplicationId))!), 16777216);
    assert.equal(resultCode(await client.request({ commandCode: 280, applicationId: 0, proxiable: false, avps: cer.avps.slice(0, 2) })), 2001);

    const maa = await client.request(mar('001010000000001'));
    assert.equal(resultCode(maa), 2001);
    const item = readGrouped(findAvp(maa.avps, cx(CxAvp.SipAuthDataItem))!);
    const secrets = [K, OPC, ...[CxAvp.SipAuthorization, CxAvp.ConfidentialityKey, CxAvp.IntegrityKey].map((c) => findAvp(item, cx(c))!.data.toString('hex'))];

    // SQN written back (TS 33.102 C.3.2 first step from 0: SEQ 1 IND 1), other fields kept
    const persisted = JSON.parse(readFileSync(subsFile, 'utf8')) as Record<string, string>[];
    assert.equal(persisted[0]!.sqn, '000000000021');
    assert.equal(persisted[0]!.k, K);
    assert.equal(persisted[1]!.sqn, '000000000000');

    // a running HSS picks up a new subscriber
    assert.equal(readUnsigned32(findAvp(readGrouped(findAvp((await client.request(mar('001010000000003'))).avps, baseKey(BaseAvp.ExperimentalResult))!), baseKey(BaseAvp.ExperimentalResultCode))!), 5001);
    writeFileSync(`${subsFile}.new`, JSON.stringify([...persisted, ...subscribers(3).slice(2)]));
    renameSync(`${subsFile}.new`, subsFile);
    await waitFor(() => /reloaded .*\(3 subscribers\)/.test(out), 'reload line');
    assert.equal(resultCode(await client.request(mar('001010000000003'))), 2001);

    // a MAR missing User-Name: 5005 naming the AVP
    const bad = mar('001010000000001');
    bad.avps = bad.avps.filter((a) => a.code !== BaseAvp.UserName);
    const missing = await client.request(bad);
    assert.equal(resultCode(missing), 5005);
    assert.match(findAvp(missing.avps, baseKey(BaseAvp.ErrorMessage))!.data.toString(), /User-Name/);

    // DPR -> DPA, then the HSS closes
    assert.equal(resultCode(await client.request({ commandCode: 282, applicationId: 0, proxiable: false, avps: [...cer.avps.slice(0, 2), unsigned32Avp(baseKey(273), 0)] })), 2001);
    await client.closed;

    // malformed frame: an AVP claiming 4 bytes -> typed error logged, connection closed
    const garbage = await TestDiameterClient.connect('127.0.0.1', port);
    const frame = Buffer.alloc(28);
    frame.writeUInt8(1, 0);
    frame.writeUIntBE(28, 1, 3);
    frame.writeUInt8(0x80, 4);
    frame.writeUIntBE(303, 5, 3);
    frame.writeUIntBE(4, 20 + 5, 3);
    garbage.socket.write(frame);
    await garbage.closed;
    await waitFor(() => /DiameterDecodeError: bad-avp-length/.test(out), 'decode error line');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /SIGTERM, stopping/);
    for (const line of ['CER from', 'DWR from', 'MAR from', 'DPR from']) assert.ok(out.includes(line), line);
    assert.match(out, /MAR from \S+ result=2001 [\d.]+ms user=001010000000001@/);
    for (const secret of secrets) assert.ok(!out.toLowerCase().includes(secret), 'a key, CK, IK or XRES reached the log');
  });

  it('refuses a malformed subscribers file with a typed error and exit code 1, naming no key', async () => {
    const subsFile = join(dir, 'subscribers.json');
    writeFileSync(subsFile, JSON.stringify([{ imsi: '001010000000001', k: 'secretsecret', opc: OPC, amf: '8000', sqn: 0 }]));
    const configFile = join(dir, 'hss.json');
    writeFileSync(configFile, JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, originHost: 'h', originRealm: 'r', domain: 'd', subscribersFile: subsFile }));
    child = spawn(process.execPath, ['--import', 'tsx', 'lab/hss/main.ts', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child!.on('exit', (c) => resolve(c)));
    assert.equal(code, 1);
    assert.match(out, /HssConfigError: subscriber #0: k must be 32 hex digits/);
    assert.ok(!out.includes('secretsecret'));
  });
});
