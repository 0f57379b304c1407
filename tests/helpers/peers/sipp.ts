// SIPp (Debian sip-tester 3.6) as a peer: one run of one scenario in its own temp dir; the
// verdict is SIPp's own (exit code 0 = every call succeeded, its error log, its message trace).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { forgetDir, PeerExitedAtStart, PeerProcess, removeOnExit, waitUntil, withPortRetries } from './process.js';

export const PEER_SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), '../../integration/daemon/sip/peers/sipp');

export interface SippOptions {
  /** scenario file name in tests/integration/daemon/sip/peers/sipp, or an absolute path */
  scenario: string;
  local: string;
  transport: 'udp' | 'tcp';
  /** host:port to send to (a UAC scenario); absent for a UAS */
  remote?: string;
  /** local port; default a free one */
  port?: number;
  /** -s (the user part SIPp puts in [service]) */
  service?: string;
  /** -ap: password for [authentication] */
  password?: string;
  /** -key name value pairs for [name] in the scenario */
  keys?: Record<string, string | number>;
  timeoutS?: number;
}

export interface SippResult {
  code: number | null;
  /** SIPp's *_errors.log */
  errors: string;
  /** SIPp's *_messages.log (every message sent and received) */
  messages: string;
}

export class SippPeer {
  private result: Promise<SippResult> | undefined;

  private constructor(
    readonly process: PeerProcess,
    readonly dir: string,
    readonly port: number,
  ) {}

  static start(o: SippOptions): Promise<SippPeer> {
    // a UAS on a port of our choosing may lose it to a parallel run; retry on another
    return o.remote || o.port ? SippPeer.startOnce(o) : withPortRetries('SIPp UAS', () => SippPeer.startOnce(o));
  }

  private static async startOnce(o: SippOptions): Promise<SippPeer> {
    const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'imsdt-sipp-')));
    const port = o.port ?? (await freePort(o.local));
    const scenario = o.scenario.startsWith('/') ? o.scenario : join(PEER_SCENARIOS, o.scenario);
    const argv = [
      'sipp', ...(o.remote ? [o.remote] : []), '-sf', scenario, '-i', o.local, '-p', String(port),
      '-t', o.transport === 'udp' ? 'u1' : 't1', '-m', '1', '-nostdin', '-trace_err', '-trace_msg',
      '-timeout', `${o.timeoutS ?? 8}s`, '-timeout_error',
      ...(o.service ? ['-s', o.service] : []), ...(o.password ? ['-ap', o.password] : []),
      ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, String(v)]),
    ];
    const peer = new SippPeer(PeerProcess.start('sipp', argv, join(dir, 'sipp.out'), { cwd: dir }), dir, port);
    if (!o.remote) {
      try {
        await waitUntil(`SIPp UAS listening on ${o.transport} ${o.local}:${port}`, async () => {
          if (!peer.process.running) throw new PeerExitedAtStart('SIPp', peer.process.tail());
          return o.transport === 'tcp' ? tcpAccepts(o.local, port) : udpBusy(o.local, port);
        }, 5000, () => peer.process.tail());
      } catch (e) {
        await peer.stop();
        throw e;
      }
    }
    return peer;
  }

  /** Wait for SIPp to finish its one call; collects its logs and removes its temp dir. */
  done(): Promise<SippResult> {
    this.result ??= this.process.exited.then((code) => {
      const read = (suffix: string) =>
        readdirSync(this.dir).filter((f) => f.endsWith(suffix)).map((f) => readFileSync(join(this.dir, f), 'utf8')).join('');
      const result = { code, errors: read('_errors.log') + this.process.log(), messages: read('_messages.log') };
      forgetDir(this.dir);
      return result;
    });
    return this.result;
  }

  /** Kill SIPp if still running (cleanup after a failed test) and remove its temp dir. */
  async stop(): Promise<SippResult> {
    await this.process.stop(500);
    return this.done();
  }
}

/** An assertion message for a failed run: exit code, SIPp's errors, the end of its trace. */
export function describeSipp(name: string, r: SippResult): string {
  return `${name}: SIPp exit code ${r.code}\n--- errors ---\n${r.errors.slice(0, 3000)}\n--- last messages ---\n${r.messages.slice(-3000)}`;
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

function udpBusy(host: string, port: number): Promise<boolean> {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    u.once('error', () => {
      u.close();
      resolve(true);
    });
    u.bind(port, host, () => u.close(() => resolve(false)));
  });
}
