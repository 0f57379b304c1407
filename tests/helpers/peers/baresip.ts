// baresip 1.0 (Debian baresip-core) as a registered user on the Kamailio peer: own temp config
// dir, free SIP and ctrl_tcp ports on loopback, UDP or TCP, MD5 credentials, auto-answer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toneWav } from '../../../lab/core/wav.js';
import { baresipConfigText } from '../../../lab/core/baresip.js';
import { BaresipCtrl } from './baresip-ctrl.js';
import type { KamailioPeer } from './kamailio.js';
import { freePort } from './ports.js';
import { forgetDir, PeerExitedAtStart, PeerProcess, removeOnExit, waitUntil, withPortRetries } from './process.js';

export interface BaresipOptions {
  kamailio: KamailioPeer;
  user: string;
  password: string;
  transport: 'udp' | 'tcp';
  /** auto: answer incoming calls at once (RFC 3261 180 then 200); manual: ring until "accept" */
  answer?: 'auto' | 'manual';
  domain?: string;
}

export class BaresipPeer {
  private constructor(
    readonly process: PeerProcess,
    readonly dir: string,
    readonly sipPort: number,
    readonly ctrl: BaresipCtrl,
    readonly aor: string,
  ) {}

  static start(o: BaresipOptions): Promise<BaresipPeer> {
    return withPortRetries('baresip', () => BaresipPeer.startOnce(o));
  }

  private static async startOnce(o: BaresipOptions): Promise<BaresipPeer> {
    const host = '127.0.0.1';
    const domain = o.domain ?? 'imsd.test';
    const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'imsdt-baresip-')));
    const sipPort = await freePort(host);
    const ctrlPort = await freePort(host);
    const sound = join(dir, 'tone-8k.wav');
    writeFileSync(sound, toneWav(1));
    // the interface name "lo" fails in baresip 1.0; an address works (TESTBED.md)
    writeFileSync(join(dir, 'config'), baresipConfigText({ host, sipPort, ctrlPort, sound, rtpPorts: '42000-42998' }));
    const aor = `sip:${o.user}@${domain}`;
    const proxy = `sip:${host}:${o.kamailio.port};transport=${o.transport}`;
    writeFileSync(join(dir, 'accounts'),
      `<${aor};transport=${o.transport}>;auth_pass=${o.password};outbound="${proxy}";regint=600;answermode=${o.answer ?? 'auto'}\n`);
    writeFileSync(join(dir, 'contacts'), '');
    const proc = PeerProcess.start('baresip', ['baresip', '-f', dir], join(dir, 'baresip.log'), { cwd: dir, env: { ...process.env, HOME: dir } });
    let ctrl: BaresipCtrl | undefined;
    try {
      await waitUntil('baresip ctrl_tcp', async () => {
        if (!proc.running) throw new PeerExitedAtStart('baresip', proc.tail());
        ctrl = await BaresipCtrl.connect(host, ctrlPort).catch(() => undefined);
        return ctrl !== undefined;
      }, 5000, () => proc.tail());
      const peer = new BaresipPeer(proc, dir, sipPort, ctrl as BaresipCtrl, aor);
      // registered when Kamailio (not baresip) says so
      await waitUntil(`${o.user} registered in Kamailio`, async () => (await o.kamailio.bindings(o.user)).some((b) => b.contact.includes(`:${sipPort}`)), 5000, () => proc.tail());
      return peer;
    } catch (e) {
      ctrl?.close();
      await proc.stop();
      forgetDir(dir);
      throw e;
    }
  }

  /**
   * With answer: 'manual': wait for baresip to report the next incoming call (it has sent 180
   * Ringing by then) and answer it over ctrl_tcp ("accept"), which sends the 200.
   */
  async answerNextCall(timeoutMs = 5000): Promise<void> {
    const incoming = () => this.ctrl.events.filter((e) => e.type === 'CALL_INCOMING').length;
    const seen = incoming();
    await this.ctrl.waitEvent('CALL_INCOMING', () => incoming() > seen, timeoutMs);
    const r = await this.ctrl.command('accept');
    if (!r.ok) throw new Error(`baresip refused to accept the call: ${r.data}`);
  }

  log(): string {
    return this.process.log();
  }

  async stop(): Promise<string> {
    this.ctrl.close();
    await this.process.stop();
    const log = this.process.log();
    forgetDir(this.dir);
    return log;
  }
}
