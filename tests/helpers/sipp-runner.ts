// Run SIPp (Debian sip-tester) as the far end of a test: each run in its own temp dir (removed
// afterwards), on a port free for UDP and TCP, killed by the test if it outlives it.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort } from './peers/ports.js';

export interface SippResult {
  code: number | null;
  /** SIPp's error log (scenario failures, check_it mismatches) */
  errors: string;
  /** SIPp's statistics screen at exit (stdout) */
  stdout: string;
}

export interface SippRun {
  done: Promise<SippResult>;
  kill(): void;
}

export interface SippArgs {
  /** path of the scenario file */
  scenario: string;
  local: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** host:port of imsd for a UAC */
  target?: string;
  calls?: number;
  timeoutS?: number;
  extra?: string[];
}

async function portBusy(addr: string, port: number, transport: 'udp' | 'tcp'): Promise<boolean> {
  return new Promise<boolean>((r) => {
    if (transport === 'tcp') {
      const s = net.connect({ host: addr, port }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    } else {
      const u = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
      u.once('error', () => {
        u.close();
        r(true);
      });
      u.bind(port, addr, () => u.close(() => r(false)));
    }
  });
}

/** Start SIPp; for a UAS this resolves once it listens. */
export async function runSipp(args: SippArgs): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'imsdt-sipp-'));
  const argv = [
    ...(args.target ? [args.target] : []),
    '-sf', args.scenario,
    '-i', args.local,
    '-p', String(args.port),
    '-t', args.transport === 'udp' ? 'u1' : 't1',
    '-m', String(args.calls ?? 1),
    '-nostdin',
    '-trace_err',
    '-timeout', `${args.timeoutS ?? 15}s`,
    '-timeout_error',
    ...(args.extra ?? []),
  ];
  const child = spawn('sipp', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    if (stdout.length > 200000) stdout = stdout.slice(-100000);
  });
  const done = new Promise<SippResult>((resolve) => {
    child.on('exit', (code) => {
      let errors = '';
      for (const f of readdirSync(dir)) if (f.endsWith('_errors.log')) errors += readFileSync(join(dir, f), 'utf8');
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, errors, stdout });
    });
  });
  if (!args.target) {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await portBusy(args.local, args.port, args.transport)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
