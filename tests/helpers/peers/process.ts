// Child processes of the peer harness: own process group, output to a log file, stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export class PeerProcess {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
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
