// Child processes of the peer harness: own process group, output to a log file, stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';

// Whatever a test run leaves behind (it crashed, or was interrupted between start and stop) is
// removed when the test process exits: process groups get SIGKILL, temp dirs are deleted.
const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
process.once('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/** Remove dir when the test process exits, unless forgetDir() was called first. */
export function removeOnExit(dir: string): string {
  liveDirs.add(dir);
  return dir;
}

export function forgetDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

export class PeerProcess {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    liveGroups.add(child.pid as number);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  /** Start argv detached in its own process group, stdout and stderr appended to logFile. */
  static start(name: string, argv: string[], logFile: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): PeerProcess {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
      if (child.pid === undefined) throw new Error(`could not start ${name} (${argv[0]})`);
      return new PeerProcess(name, child, logFile);
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of the log, for assertion messages. */
  tail(lines = 30): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM to the process group, SIGKILL after graceMs; resolves when the leader has exited. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return;
    const group = -this.pid;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(group, sig);
      } catch {
        // the group is already gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // children of the leader (Kamailio's workers) may outlive it for a moment
    kill('SIGKILL');
    liveGroups.delete(this.pid);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll check() until it holds; throws naming what, with detail() appended, after timeoutMs. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, detail: () => string = () => '', stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail() ? `\n${detail()}` : ''}`);
    await sleep(stepMs);
  }
}

/**
 * Run start() up to `attempts` times: a port found free a moment earlier may be taken by a
 * parallel test run before the peer binds it, which shows as the peer exiting at start.
 */
export async function withPortRetries<T>(what: string, start: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start();
    } catch (e) {
      last = e;
      if (!(e instanceof PeerExitedAtStart)) throw e;
    }
  }
  throw new Error(`${what} did not start in ${attempts} attempts: ${(last as Error).message}`);
}

/** The peer process ended during start-up (e.g. its port was taken). */
export class PeerExitedAtStart extends Error {
  constructor(name: string, log: string) {
    super(`${name} exited at start:\n${log}`);
    this.name = 'PeerExitedAtStart';
  }
}
