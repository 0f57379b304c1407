// Running commands and daemons for the lab (inside network namespaces).
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'CommandError';
  }
}

/** Run a command to completion; throws CommandError with its stderr on failure. */
export async function run(argv: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP(argv[0], argv.slice(1), {
      timeout: opts.timeoutMs ?? 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const err = e as { code?: number | string; stderr?: string; message: string };
    throw new CommandError(argv, err.code ?? null, err.stderr ?? err.message);
  }
}

/** Like run() but ignores failures (for cleanup of things that may not exist). */
export async function tryRun(argv: string[]): Promise<boolean> {
  try {
    await run(argv);
    return true;
  } catch {
    return false;
  }
}

export function inNs(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** Start a long-running process detached, stdout+stderr appended to logFile; returns its pid. */
export function startDaemon(argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True if the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." — the state letter follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until check() is true or the deadline passes (then throws naming what). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}
