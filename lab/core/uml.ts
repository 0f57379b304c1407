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
  const cli = (args: string[]) =>
    [process.execPath, '--import', 'tsx', join(LAB_DIR, 'cli.ts'), '--run-dir', inner.runDir, '--prefix', o.prefix, ...args]
      .map(shellQuote)
      .join(' ');
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
  const consoleFd = openSync(join(o.runDir, 'uml-console.log'), 'a');
  const child = spawn(
    'linux.uml',
    [
      `mem=${u.memory ?? '768M'}`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw', `init=${INIT}`,
      `UML_JOB=${join(o.runDir, 'uml-job.sh')}`, `UML_RC=${join(o.runDir, 'uml-rc')}`, `UML_CWD=${REPO}`,
      'con=null', 'con0=null,fd:1', 'quiet',
    ],
    // UML's memory backing file must be on a file system that allows mmap with exec
    { detached: true, stdio: ["ignore", consoleFd, consoleFd], env: { ...process.env, TMPDIR: '/dev/shm' } },
  );
  closeSync(consoleFd);
  child.unref();
  if (child.pid === undefined) throw new Error('could not start linux.uml');
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
