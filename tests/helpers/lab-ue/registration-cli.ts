// Runs imsd's registration CLI (daemon/ims/registration/cli.ts) in the lab's UE namespace with a
// JSON config, collects the state snapshots it prints as JSON lines, keeps its log (stderr) in a
// file, and stops it with SIGTERM (it de-registers first). Used on the host and inside UML.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REGISTRATION_CLI = join(REPO, 'daemon', 'ims', 'registration', 'cli.ts');

/** What the CLI prints on every state change (RegistrationService snapshot). */
export interface RegSnapshot {
  state: string;
  impus?: string[];
  defaultImpu?: string;
  expires?: number;
  serviceRoute?: string[];
  pcscf?: { address: string; port: number };
  lastFailure?: { kind: string; status?: number; reason: string };
  [key: string]: unknown;
}

export interface CliStart {
  namespace: string;
  /** Written to <workDir>/<name>.json; K/OPc in it never reach the log. */
  config: Record<string, unknown>;
  workDir: string;
  name: string;
}

export class RegistrationCli {
  readonly states: { at: number; snap: RegSnapshot }[] = [];
  readonly startedAt = Date.now();
  readonly logFile: string;
  readonly exited: Promise<number | null>;
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly log: WriteStream;
  private wake: (() => void) | undefined;
  private exitCode: number | null | undefined;

  constructor(s: CliStart) {
    const cfgFile = join(s.workDir, `${s.name}.json`);
    writeFileSync(cfgFile, JSON.stringify(s.config), { mode: 0o600 });
    this.logFile = join(s.workDir, `${s.name}.log`);
    this.log = createWriteStream(this.logFile);
    this.proc = spawn('ip', ['netns', 'exec', s.namespace, process.execPath, '--import', 'tsx', REGISTRATION_CLI, cfgFile], { cwd: REPO });
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        try {
          this.states.push({ at: Date.now(), snap: JSON.parse(line) as RegSnapshot });
        } catch {
          this.log.write(`[stdout, not JSON] ${line}\n`);
        }
        this.wake?.();
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => this.log.write(d));
    this.exited = new Promise((res) =>
      this.proc.on('exit', (code) => {
        this.exitCode = code;
        this.wake?.();
        this.log.end();
        res(code);
      }),
    );
  }

  get stateNames(): string[] {
    return this.states.map((s) => s.snap.state);
  }

  /** The first snapshot at index >= from that matches; throws with the states seen on timeout or exit. */
  async waitFor(pred: (s: RegSnapshot) => boolean, timeoutMs: number, from = 0): Promise<RegSnapshot & { at: number }> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.states.slice(from).find((s) => pred(s.snap));
      if (hit) return { ...hit.snap, at: hit.at };
      if (this.exitCode !== undefined) throw new Error(`registration cli exited (${this.exitCode}); states: ${this.stateNames.join(' → ')}`);
      if (Date.now() > end) throw new Error(`no matching state within ${timeoutMs} ms; states: ${this.stateNames.join(' → ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(200, Math.max(1, end - Date.now())));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  /** A command for the simulated modem / service on stdin (pdn-down, pdn-up, deregister, …). */
  send(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  /** SIGTERM (the CLI de-registers, then exits); SIGKILL after timeoutMs. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
