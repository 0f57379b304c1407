// Run SIPp (Debian sip-tester) as the far end of a transport test, in its own temp dir.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), 'sipp');

/** A port free for both UDP and TCP on addr right now. */
export async function freePort(addr: string): Promise<number> {
  for (;;) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, addr, () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const udp = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, addr, () => r(true));
    });
    await new Promise<void>((r) => srv.close(() => r()));
    if (ok) await new Promise<void>((r) => udp.close(() => r()));
    if (ok) return port;
  }
}

export interface SippRun {
  /** resolves with SIPp's exit code (0: every call succeeded) and its error log */
  done: Promise<{ code: number | null; errors: string }>;
  kill(): void;
}

/** Start SIPp; it has started listening once this resolves (UAS) or sends at once (UAC). */
export async function runSipp(args: { scenario: string; local: string; port: number; transport: 'u1' | 't1'; target?: string; timeoutS?: number }): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'imsdt-sipp-'));
  const argv = [
    ...(args.target ? [args.target] : []),
    '-sf', join(SCENARIOS, args.scenario),
    '-i', args.local,
    '-p', String(args.port),
    '-t', args.transport,
    '-m', '1',
    '-nostdin',
    '-trace_err',
    '-timeout', `${args.timeoutS ?? 10}s`,
    '-timeout_error',
  ];
  const child = spawn('sipp', argv, { cwd: dir, stdio: 'ignore' });
  const done = new Promise<{ code: number | null; errors: string }>((resolve) => {
    child.on('exit', (code) => {
      let errors = '';
      for (const f of readdirSync(dir)) if (f.endsWith('_errors.log')) errors += readFileSync(join(dir, f), 'utf8');
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, errors });
    });
  });
  if (!args.target) {
    // wait until the UAS socket is bound
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && child.exitCode === null) {
      const busy = await new Promise<boolean>((r) => {
        if (args.transport === 't1') {
          const s = net.connect({ host: args.local, port: args.port }, () => {
            s.destroy();
            r(true);
          });
          s.on('error', () => r(false));
        } else {
          const u = dgram.createSocket(args.local.includes(':') ? 'udp6' : 'udp4');
          u.once('error', () => {
            u.close();
            r(true);
          });
          u.bind(args.port, args.local, () => u.close(() => r(false)));
        }
      });
      if (busy) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { done, kill: () => child.kill('SIGKILL') };
}
