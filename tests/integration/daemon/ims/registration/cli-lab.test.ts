// The registration CLI (soft SIM + simulated modem + RegistrationService) against the lab's
// Kamailio P-CSCF and S-CSCF and its Cx HSS, on the host without IPsec (the host kernel has no ESP):
// a real AKA registration, the reg-event SUBSCRIBE, de-registration, a P-CSCF that never answers,
// an unknown subscriber, and PDN loss scripted through the simulated driver.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { command, requirePrerequisites, root } from '../../../../helpers/prereq.js';
import { makeTestLab, REPO, type TestLab } from '../../../../integration/lab/lab-cli.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';

interface Snap {
  state: string;
  impus: string[];
  defaultImpu?: string;
  expires?: number;
  serviceRoute: string[];
  pcscf?: { address: string; port: number };
  lastFailure?: { kind: string; status?: number; reason: string };
}

interface Status {
  pcscf: { address: string; address6: string; port: number };
  ueAddress: string;
  ueAddress6: string;
  ueNamespace: string;
  pcap: string;
}

class Cli {
  readonly states: Snap[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #waiters: Array<() => void> = [];

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    let buf = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) this.states.push(JSON.parse(line) as Snap);
        for (const w of this.#waiters) w();
      }
    });
    proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((res) => proc.on('exit', (code) => res(code)));
  }

  /** the first state after index `from` matching `pred` */
  async waitFor(pred: (s: Snap) => boolean, timeoutMs: number, from = 0): Promise<Snap> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.states.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no matching state within ${timeoutMs} ms; states: ${this.states.map((s) => s.state).join(' → ')}\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      this.#waiters = [];
    }
  }

  send(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

function tshark(pcap: string, filter: string): Promise<string[]> {
  return new Promise((res, rej) => {
    execFile('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', 'sip.Request-Line', '-e', 'sip.Status-Line', '-e', 'sip.Call-ID', '-e', 'sip.Expires', '-e', 'sip.Authorization'], { maxBuffer: 16 << 20 }, (e, out) => (e ? rej(e) : res(out.split('\n').filter((l) => l.trim() !== ''))));
  });
}

describe('ims/registration cli against the lab Kamailio IMS core (no IPsec)', function () {
  this.timeout(120_000);
  let lab: TestLab;
  let status: Status;
  let dir: string;
  const running = new Set<Cli>();

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('tshark'), command('ip')]);
    lab = makeTestLab();
    const up = await lab.cli(['up', '--no-ipsec']);
    assert.equal(up.code, 0, up.stderr);
    status = JSON.parse((await lab.cli(['status', '--json'])).stdout) as Status;
    dir = mkdtempSync(join(tmpdir(), 'imsdt-regcli-'));
  });

  afterEach(async () => {
    for (const c of running) await c.stop();
    running.clear();
  });

  after(async function () {
    if (!lab) return;
    await lab.cli(['down']);
    rmSync(dirname(lab.runDir), { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function start(imsi: string, extra: Record<string, unknown> = {}): Cli {
    const cfg = join(dir, `${imsi}-${running.size}.json`);
    writeFileSync(cfg, JSON.stringify({
      pcscf: status.pcscf.address, ue: status.ueAddress, imsi, mncLength: 2, k: K, opc: OPC, secAgree: 'none',
      sqnStateFile: join(dir, `sqn-${imsi}.json`), logLevel: 'debug', ...extra,
    }));
    const proc = spawn('ip', ['netns', 'exec', status.ueNamespace, process.execPath, '--import', 'tsx', join(REPO, 'daemon/ims/registration/cli.ts'), cfg], { cwd: REPO });
    const c = new Cli(proc);
    running.add(c);
    return c;
  }

  it('registers with AKA (401 → 200), reports IMPUs, Service-Route and expiry, subscribes to reg, and de-registers on SIGTERM', async () => {
    const imsi = '001010000000001';
    const t0 = Date.now();
    const c = start(imsi);
    const reg = await c.waitFor((s) => s.state === 'registered', 20_000);
    const ms = Date.now() - t0;
    assert.equal(reg.defaultImpu, `sip:${imsi}@${DOMAIN}`);
    assert.deepEqual(reg.impus, [`sip:${imsi}@${DOMAIN}`, `sip:+15550001@${DOMAIN}`, 'tel:+15550001']);
    assert.equal(reg.serviceRoute.length, 1);
    assert.match(reg.serviceRoute[0]!, /scscf/);
    assert.ok(reg.expires! > 0 && reg.expires! <= 600000, String(reg.expires));
    assert.deepEqual(c.states.map((s) => s.state).slice(0, 4), ['idle', 'registering', 'authenticating', 'registered']);
    assert.equal(await c.stop(), 0);
    const last = c.states[c.states.length - 1]!;
    assert.equal(last.state, 'deregistered');
    assert.equal(last.lastFailure, undefined, 'the de-registration was answered 200');
    console.log(`      registered in ${ms} ms (process start included)`);
    // what the UE sent, as the lab's capture on the P-CSCF side saw it (the answers are in the
    // state sequence above: authenticating = the 401, registered = the 200, deregistered = its 200).
    // The capture reaches the file with some delay: poll until the de-registration is in it.
    let text = '';
    for (let i = 0; i < 20; i++) {
      text = (await tshark(status.pcap, `sip.Request-Line && ip.src == ${status.ueAddress} && sip.from.user == "${imsi}"`)).join('\n');
      if (/REGISTER [^\n]*\t0\t/.test(text)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(text, /REGISTER sip:ims\.mnc001[^\n]*\t\t[^\n]*\t600000\t[^\n]*response=""/, 'initial REGISTER with an empty response');
    assert.match(text, /REGISTER sip:ims\.mnc001[^\n]*\t600000\t[^\n]*algorithm=AKAv1-MD5, qop=auth, nc=00000001/, 'the authenticated REGISTER');
    assert.match(text, /SUBSCRIBE sip:001010000000001@/);
    assert.match(text, /REGISTER [^\n]*\t0\t/, 'a REGISTER with Expires 0');
    assert.ok(!c.stderr.includes(K) && !c.stderr.includes(OPC), 'no key in the log');
  });

  it('an unknown subscriber is refused with 403: failed, no retry', async () => {
    const c = start('001010000000999');
    const f = await c.waitFor((s) => s.state === 'failed', 20_000);
    assert.equal(f.lastFailure?.kind, 'forbidden');
    assert.equal(f.lastFailure?.status, 403);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(c.states.filter((s) => s.state === 'registering').length, 1, 'no second attempt');
  });

  it('a P-CSCF that never answers: Timer F, back-off, then the next P-CSCF of the list', async () => {
    // 10.45.0.77 is on the lab veth's subnet, inside the lab's namespaces; nobody owns it
    const c = start('001010000000002', { pcscf: ['10.45.0.77', status.pcscf.address], t1Ms: 50, backoffBaseSeconds: 0.5, backoffMaxSeconds: 1 });
    const b = await c.waitFor((s) => s.state === 'backoff', 20_000);
    assert.equal(b.lastFailure?.kind, 'timeout');
    assert.equal(b.lastFailure?.status, 408);
    const r = await c.waitFor((s) => s.state === 'registered', 20_000);
    assert.deepEqual(r.pcscf, { address: status.pcscf.address, port: 5060 });
  });

  it('re-registers at half of a short expiry (TS 24.229 5.1.1.4.1), re-authenticating when the S-CSCF challenges', async function () {
    this.timeout(90_000);
    // the S-CSCF may grant less than asked, or raise it to its minimum: we re-register at half of what it grants
    const c = start('001010000000002', { expires: 20 });
    const first = await c.waitFor((s) => s.state === 'registered', 20_000);
    const granted = first.expires!;
    assert.ok(granted >= 8 && granted <= 120, String(granted));
    const n = c.states.length;
    const t0 = Date.now();
    const re = await c.waitFor((s) => s.state === 'reregistering', granted * 1000, n);
    const waited = (Date.now() - t0) / 1000;
    assert.ok(waited > granted / 2 - 3 && waited < granted / 2 + 3, `re-registered after ${waited} s of ${granted}`);
    // (a reg-event NOTIFY may publish 'registered' before the refresh: wait past it)
    await c.waitFor((s) => s.state === 'registered', 20_000, c.states.indexOf(re) + 1);
    // Kamailio challenges every REGISTER: the refresh was answered with AKA again
    assert.match(c.stderr, /sending REGISTER kind=re [^\n]*\n(.*\n)*.*sending REGISTER kind=auth flow=unprotected cseq=4 /);
    assert.equal(await c.stop(), 0);
    assert.equal(c.states[c.states.length - 1]!.state, 'deregistered');
  });

  it('PDN loss and return, then a PDN moved to IPv6: idle, registered again each time', async () => {
    const c = start('001010000000003');
    await c.waitFor((s) => s.state === 'registered', 20_000);
    let n = c.states.length;
    c.send('pdn-down');
    const idle = await c.waitFor((s) => s.state === 'idle', 5_000, n);
    assert.equal(idle.lastFailure?.kind, 'network');
    n = c.states.length;
    c.send('pdn-up');
    await c.waitFor((s) => s.state === 'registered', 20_000, n);
    n = c.states.length;
    c.send(`pdn-change {"addresses":["${status.ueAddress6}"],"pcscf":["${status.pcscf.address6}"]}`);
    // after the idle of the PDN change: the reg-event NOTIFY can still publish 'registered' (IPv4) before it
    const idle6 = await c.waitFor((s) => s.state === 'idle', 5_000, n);
    const v6 = await c.waitFor((s) => s.state === 'registered', 20_000, c.states.indexOf(idle6) + 1);
    assert.deepEqual(v6.pcscf, { address: status.pcscf.address6, port: 5060 });
    assert.equal(await c.stop(), 0);
    assert.equal(c.states[c.states.length - 1]!.state, 'deregistered');
  });
});
