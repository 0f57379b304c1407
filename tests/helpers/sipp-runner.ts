// Run SIPp (Debian sip-tester) as the far end of a test: each run in its own temp dir (removed
// afterwards), on a port free for UDP and TCP, killed by the test if it outlives it.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeOpc, milenage } from '../../daemon/auth/milenage.js';

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

// ---- SIPp 3.6.1's IMS AKA defect ----
//
// SIPp 3.6.1 (Debian sip-tester) computes Digest-AKAv1-MD5 with RES cut at its first zero byte
// (RFC 3310 3.1: the password is all of RES), so for about 3 % of RANDs (1 - (255/256)^8) its
// answer to the challenge is rightly refused (403). The tests that use SIPp's AKA run SIPp again
// only when a failed run met exactly that; anything else is theirs to judge.

/** The AKA secrets a SIPp scenario was given (aka_K / aka_OP / aka_AMF, byte for byte). */
export interface SippAkaSecrets {
  k: Buffer;
  op: Buffer;
  amf: Buffer;
}

/** The nonce of the last Digest challenge in a SIPp message trace or error log. */
export function lastAkaNonce(text: string): string | undefined {
  return [...text.matchAll(/WWW-Authenticate: Digest [^\r\n]*nonce="([^"]+)"/g)].at(-1)?.[1];
}

/** Whether RES (TS 35.206 f2) for the RAND of this nonce (RAND‖AUTN, base64) has a zero byte. RES is never returned. */
export function akaResHasZeroByte(secrets: SippAkaSecrets, nonce: string): boolean {
  const rand = Buffer.from(nonce, 'base64').subarray(0, 16);
  if (rand.length !== 16) return false;
  return milenage(secrets.k, computeOpc(secrets.k, secrets.op), rand, Buffer.alloc(6), secrets.amf).res.includes(0);
}

/**
 * True only when a SIPp run ended on the defect: its error log shows the 403 to its answer
 * (`CSeq: <answerCseq> REGISTER`) and RES for the RAND of the last challenge it got has a zero byte.
 * `trace` is the run's message trace (-trace_msg) or any text holding the 401 it answered.
 */
export function sippAkaDefectProven(secrets: SippAkaSecrets, run: { errors: string; trace: string }, answerCseq = 2): boolean {
  if (!new RegExp(`received 'SIP/2\\.0 403 [^']*CSeq: ${answerCseq} REGISTER`).test(run.errors)) return false;
  const nonce = lastAkaNonce(run.trace) ?? lastAkaNonce(run.errors);
  return nonce !== undefined && akaResHasZeroByte(secrets, nonce);
}

/**
 * Run a SIPp-AKA scenario; a run that the defect ended (`proven`) is followed by a new one (new
 * call, new RAND from the HSS), at most `maxRuns` in all. Returns the last run.
 */
export async function runUntilNoSippAkaDefect<T>(
  run: (attempt: number) => Promise<T>,
  proven: (result: T, attempt: number) => boolean,
  options: { maxRuns?: number; name?: string } = {},
): Promise<T> {
  const max = options.maxRuns ?? 3;
  for (let attempt = 1; ; attempt++) {
    const r = await run(attempt);
    if (attempt >= max || !proven(r, attempt)) return r;
    console.log(`      SIPp run ${options.name ?? ''}${options.name ? '-' : ''}${attempt} met the SIPp 3.6.1 RES zero-byte defect (403 to its REGISTER); a new run`);
  }
}
