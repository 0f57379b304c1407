// The whole lab inside User-Mode Linux, for kernels without ESP. The UML kernel (Debian's
// user-mode-linux) boots with the host's "/" as its root (hostfs), runs `imsd-lab up --inside-uml`
// there, and keeps the lab up until `down` drops a stop file. The inner lab's run dir is
// <runDir>/uml-lab, on the shared file system, so its logs, pcap and subscribers are visible here.
import { existsSync, mkdirSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { umlInnerOptions as innerOptions, type LabOptions } from '../options.js';
import { isAlive, sleep } from './exec.js';
import { down } from './lab.js';
import { removeTopology } from './netns.js';
import { readState, writeState, type LabState } from './state.js';

const LAB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(LAB_DIR, '..');
const INIT = join(LAB_DIR, 'uml', 'uml-init.sh');


export interface UmlUpOptions {
  autoAnswer: boolean;
  memory?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export async function umlUp(o: LabOptions, u: UmlUpOptions): Promise<LabState> {
  const log = u.log ?? ((l: string) => console.error(l));
  if (o.runDir.startsWith('/run/')) throw new Error('--uml needs a run dir outside /run (UML mounts its own /run)');
  const t0 = Date.now();
  await umlDown(o, { quiet: true });
  mkdirSync(o.runDir, { recursive: true });
  const inner = innerOptions(o);
  const cli = (args: string[]) => labCliCommand(['--run-dir', inner.runDir, '--prefix', o.prefix, ...args]);
  const ipsecFlag = o.ipsec === 'off' ? '--no-ipsec' : '--ipsec';
  const stop = join(o.runDir, 'uml-stop');
  const job = [
    'set -u',
    `${cli(['up', '--inside-uml', ipsecFlag, ...(u.autoAnswer ? [] : ['--manual-answer'])])} || exit 1`,
    `while [ ! -e ${shellQuote(stop)} ]; do sleep 0.5; done`,
    cli(['down', '--inside-uml']),
    '',
  ].join('\n');
  writeFileSync(join(o.runDir, 'uml-job.sh'), job);
  const pid = bootUml({
    jobFile: join(o.runDir, 'uml-job.sh'), rcFile: join(o.runDir, 'uml-rc'), consoleFile: join(o.runDir, 'uml-console.log'),
    memory: u.memory,
  });
  const child = { pid };
  const state: LabState = {
    options: o, pids: {}, ipsec: o.ipsec !== 'off', mode: 'uml', umlPid: child.pid, startedAt: new Date().toISOString(),
  };
  writeState(o, state);
  const deadline = Date.now() + (u.timeoutMs ?? 300_000);
  for (;;) {
    const s = readState(inner);
    if (s?.readyMs !== undefined) {
      state.pids = s.pids;
      state.ipsec = s.ipsec;
      state.readyMs = Date.now() - t0;
      writeState(o, state);
      log(`imsd-lab: up inside User-Mode Linux in ${state.readyMs} ms (ipsec ${s.ipsec ? 'on' : 'off'}), run dir ${o.runDir}`);
      return state;
    }
    if (!isAlive(child.pid) || existsSync(join(o.runDir, 'uml-rc')) || Date.now() > deadline) {
      const tail = readTail(join(o.runDir, 'uml-console.log'));
      await umlDown(o, { quiet: true, keepRunDir: true });
      throw new Error(`the lab did not come up inside User-Mode Linux; console:\n${tail}`);
    }
    await sleep(200);
  }
}

export async function umlDown(o: LabOptions, d: { quiet?: boolean; keepRunDir?: boolean } = {}): Promise<void> {
  const s = readState(o);
  if (s?.mode === 'uml' && s.umlPid !== undefined && isAlive(s.umlPid)) {
    writeFileSync(join(o.runDir, 'uml-stop'), '');
    const end = Date.now() + 60_000;
    while (isAlive(s.umlPid) && Date.now() < end) await sleep(200);
    if (isAlive(s.umlPid)) {
      try {
        process.kill(-s.umlPid, 'SIGKILL'); // the UML kernel and its helper threads/processes
      } catch {
        process.kill(s.umlPid, 'SIGKILL');
      }
    }
  }
  // The namespaces lived in the UML kernel; only /etc/netns entries and files are on the host.
  await removeTopology(innerOptions(o));
  if (s?.mode !== 'uml') await down(o, { quiet: true, keepRunDir: true });
  if (!d.keepRunDir) rmSync(o.runDir, { recursive: true, force: true });
  if (!d.quiet) console.error('imsd-lab: down (User-Mode Linux stopped)');

}

export interface UmlBoot {
  /** Shell script that UML's init runs as root, in the repository's directory. */
  jobFile: string;
  /** Receives the job's exit code. */
  rcFile: string;
  /** UML's console (the job's stdout and stderr, and kernel messages). */
  consoleFile: string;
  memory?: string;
}

/** Boot User-Mode Linux (host "/" as its root over hostfs) running jobFile; returns the UML kernel's pid. */
export function bootUml(b: UmlBoot): number {
  const consoleFd = openSync(b.consoleFile, 'a');
  const child = spawn(
    'linux.uml',
    [
      `mem=${b.memory ?? '768M'}`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw', `init=${INIT}`,
      `UML_JOB=${b.jobFile}`, `UML_RC=${b.rcFile}`, `UML_CWD=${REPO}`, 'con=null', 'con0=null,fd:1', 'quiet',
    ],
    // UML's memory backing file must be on a file system that allows mmap with exec
    { detached: true, stdio: ['ignore', consoleFd, consoleFd], env: { ...process.env, TMPDIR: '/dev/shm' } },
  );
  closeSync(consoleFd);
  child.unref();
  if (child.pid === undefined) throw new Error('could not start linux.uml');
  return child.pid;
}

/**
 * Run a shell script inside User-Mode Linux and wait for it: its exit code and console output.
 * For tests that need ESP (the script can run `imsd-lab up` inside, then a UE, then `down`).
 */
export async function runInUml(script: string, workDir: string, opts: { memory?: string; timeoutMs?: number } = {}): Promise<{ code: number; output: string }> {
  mkdirSync(workDir, { recursive: true });
  const b: UmlBoot = {
    jobFile: join(workDir, 'job.sh'), rcFile: join(workDir, 'rc'), consoleFile: join(workDir, 'console.log'), memory: opts.memory,
  };
  writeFileSync(b.jobFile, script);
  rmSync(b.rcFile, { force: true });
  const pid = bootUml(b);
  const end = Date.now() + (opts.timeoutMs ?? 300_000);
  while (isAlive(pid) && Date.now() < end) await sleep(200);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    throw new Error(`User-Mode Linux job timed out; console:\n${readTail(b.consoleFile)}`);
  }
  const rc = existsSync(b.rcFile) ? Number(readFileSync(b.rcFile, 'utf8').trim()) : 255;
  return { code: rc, output: readFileSync(b.consoleFile, 'utf8') };
}

/** The shell command line that runs the lab CLI (for UML job scripts). */
export function labCliCommand(args: string[]): string {
  return [process.execPath, '--import', 'tsx', join(LAB_DIR, 'cli.ts'), ...args].map(shellQuote).join(' ');
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no console output)';
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
