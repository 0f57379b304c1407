// Kamailio 5.6 (Debian package) as a plain registrar and record-routing proxy with MD5 digest on
// loopback: own run dir, free port, UDP and TCP, users added over its ctl socket (kamcmd).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, hostOf } from './ports.js';
import { forgetDir, PeerExitedAtStart, PeerProcess, removeOnExit, waitUntil, withPortRetries } from './process.js';

const CONFIG = join(dirname(fileURLToPath(import.meta.url)), '../../integration/daemon/sip/peers/kamailio/registrar-proxy.cfg');

export interface KamailioOptions {
  /** Loopback addresses to listen on (UDP and TCP on each), default 127.0.0.1 and ::1. */
  addresses?: string[];
  realm?: string;
  /** name => password; more can be added later with addUser(). */
  users?: Record<string, string>;
}

/** One contact bound to an address-of-record, as Kamailio's usrloc reports it (ul.lookup). */
export interface Binding {
  contact: string;
  /** Kamailio's own socket the REGISTER arrived on, e.g. "tcp:127.0.0.1:5060" */
  socket: string;
  expires: number;
  callId: string;
}

export class KamailioPeer {
  private constructor(
    readonly process: PeerProcess,
    readonly dir: string,
    readonly addresses: string[],
    readonly port: number,
    readonly realm: string,
  ) {}

  static start(opts: KamailioOptions = {}): Promise<KamailioPeer> {
    return withPortRetries('Kamailio', () => KamailioPeer.startOnce(opts));
  }

  private static async startOnce(opts: KamailioOptions): Promise<KamailioPeer> {
    const addresses = opts.addresses ?? ['127.0.0.1', '::1'];
    const realm = opts.realm ?? 'imsd.test';
    const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'imsdt-kam-')));
    const port = await freePort(addresses);
    const listen = addresses.flatMap((a) => ['-l', `udp:${hostOf(a)}:${port}`, '-l', `tcp:${hostOf(a)}:${port}`]);
    const argv = [
      'kamailio', '-DD', '-E', '-f', CONFIG, '-Y', dir, '-w', dir, '-m', '32', '-M', '4', ...listen,
      '-A', `CTL_SOCKET="unix:${join(dir, 'ctl.sock')}"`, '-A', `REALM="${realm}"`,
    ];
    const proc = PeerProcess.start('kamailio', argv, join(dir, 'kamailio.log'));
    const peer = new KamailioPeer(proc, dir, addresses, port, realm);
    try {
      await waitUntil('Kamailio ctl socket and SIP TCP listener', async () => {
        if (!proc.running) throw new PeerExitedAtStart('kamailio', proc.tail());
        return (await peer.rpc('core.uptime').then(() => true, () => false)) && (await tcpAccepts(addresses[0], port));
      }, 5000, () => proc.tail());
      for (const [user, password] of Object.entries(opts.users ?? {})) await peer.addUser(user, password);
    } catch (e) {
      await peer.stop();
      throw e;
    }
    return peer;
  }

  /** sip:host:port;transport=… of this proxy, for Route/outbound settings. */
  uri(protocol: 'udp' | 'tcp', address = this.addresses[0]): string {
    return `sip:${hostOf(address)}:${this.port};transport=${protocol}`;
  }

  /** One RPC over the ctl socket with kamcmd; resolves with its output. */
  rpc(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('kamcmd', ['-s', `unix:${join(this.dir, 'ctl.sock')}`, ...args], { timeout: 5000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kamcmd ${args[0]} failed: ${(stderr || stdout || err.message).trim()}`));
        else resolve(stdout);
      });
    });
  }

  async addUser(name: string, password: string): Promise<void> {
    await this.rpc('htable.sets', 'users', name, password);
  }

  /** The AOR's bindings in usrloc ([] when none), from Kamailio itself. */
  async bindings(user: string): Promise<Binding[]> {
    let out: string;
    try {
      out = await this.rpc('ul.lookup', 'location', user);
    } catch (e) {
      if (/AOR not found|404/.test((e as Error).message)) return [];
      throw e;
    }
    return parseBindings(out);
  }

  log(): string {
    return this.process.log();
  }

  /** Stop Kamailio (process group), remove its run dir; the log is returned for the caller. */
  async stop(): Promise<string> {
    await this.process.stop();
    const log = this.process.log();
    forgetDir(this.dir);
    return log;
  }
}

/** kamcmd's text rendering of ul.lookup: "Contact: { Address: …  Expires: … Received: … }". */
export function parseBindings(out: string): Binding[] {
  const result: Binding[] = [];
  for (const block of out.split(/Contact:\s*\{/).slice(1)) {
    const field = (name: string) => new RegExp(`\\b${name}:\\s*(\\S+)`).exec(block)?.[1] ?? '';
    result.push({ contact: field('Address'), socket: field('Socket'), expires: Number(field('Expires')), callId: field('Call-ID') });
  }
  return result;
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
