// A scripted modem on a pseudo-terminal: a python3 pty bridge (pty-bridge.py) owns the pty pair,
// imsd opens the terminal end like a serial modem, and this class plays the modem's side from a
// transcript (transcript.ts): it checks each command the host sends, answers, injects URCs on cue
// or after delays, stays silent (timeouts), sends garbage, or hangs up. Services (e.g. the SIM
// card behind +CGLA) answer their commands whenever they come.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTranscript, type Step } from './transcript.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, '../../fixtures/modems');

/** Answers some commands whenever they come (the SIM behind +CGLA, a keepalive "AT"). */
export interface ModemService {
  /** the lines to send (the final result included), or undefined when not this service's command */
  handle(command: string): Promise<string[] | undefined> | string[] | undefined;
}

export interface ScriptedModemOptions {
  services?: ModemService[];
  /** name for messages (default: the transcript's file name) */
  name?: string;
}

export class ScriptedModem {
  readonly device: string;
  /** every command the host sent, in order */
  readonly commands: string[] = [];
  /** what went wrong: commands the script did not expect, or a script that could not finish */
  readonly mismatches: string[] = [];
  readonly #bridge: ChildProcess;
  readonly #steps: Step[];
  readonly #services: ModemService[];
  readonly #name: string;
  #inbox: string[] = [];
  #waiter: ((c: string) => void) | undefined;
  #cues = new Set<string>();
  #cueWaiter: { name: string; resolve: () => void } | undefined;
  #echo = false;
  #partial = '';
  #done: Promise<void>;
  #hungUp = false;
  #exited: Promise<void>;
  #position = 0;

  private constructor(bridge: ChildProcess, device: string, steps: Step[], options: ScriptedModemOptions, name: string) {
    this.#bridge = bridge;
    this.device = device;
    this.#steps = steps;
    this.#services = options.services ?? [];
    this.#name = name;
    this.#exited = new Promise((resolve) => bridge.once('exit', () => resolve()));
    bridge.stdout!.on('data', (d: Buffer) => this.#fromHost(d.toString('latin1')));
    this.#done = this.#play().then(() => {
      void this.#afterScript();
    });
  }

  /** Starts the bridge and the script; `transcript` is a file under tests/fixtures/modems or the text itself. */
  static async start(transcript: string, options: ScriptedModemOptions = {}): Promise<ScriptedModem> {
    const isFile = /^[\w./-]+\.at$/.test(transcript);
    const text = isFile ? readFileSync(transcript.startsWith('/') ? transcript : join(FIXTURES, transcript), 'utf8') : transcript;
    const name = options.name ?? (isFile ? basename(transcript) : 'inline transcript');
    const steps = parseTranscript(text, name, (file) => readFileSync(join(FIXTURES, file), 'utf8'));
    const bridge = spawn('python3', [join(HERE, 'pty-bridge.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const device = await new Promise<string>((resolve, reject) => {
      let err = '';
      const onData = (d: Buffer): void => {
        err += d.toString();
        const nl = err.indexOf('\n');
        if (nl >= 0) {
          bridge.stderr!.off('data', onData);
          resolve(err.slice(0, nl).trim());
        }
      };
      bridge.stderr!.on('data', onData);
      bridge.once('error', reject);
      bridge.once('exit', (code) => reject(new Error(`pty bridge exited (${code}) before giving its device: ${err}`)));
    });
    return new ScriptedModem(bridge, device, steps, options, name);
  }

  /** Lets the script pass its `cue <name>` step (now, or when it gets there). */
  cue(name: string): void {
    if (this.#cueWaiter?.name === name) {
      const w = this.#cueWaiter;
      this.#cueWaiter = undefined;
      w.resolve();
    } else {
      this.#cues.add(name);
    }
  }

  /** Sends a line to the host now, outside the script (framed CR LF … CR LF). */
  send(line: string): void {
    this.#write(`\r\n${line}\r\n`);
  }

  /** Resolves once every step has run; rejects after `timeoutMs` naming the step it waits at. */
  async finished(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => {
        const s = this.#steps[this.#position];
        reject(new Error(`${this.#name}: script stuck at line ${s?.line ?? '?'} (${s ? JSON.stringify(s) : 'end'}); host sent: ${this.commands.join(' | ')}`));
      }, timeoutMs);
    });
    try {
      await Promise.race([this.#done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hangs up (if the script did not) and waits for the bridge to exit. */
  async stop(): Promise<void> {
    this.#hangup();
    const killer = setTimeout(() => this.#bridge.kill('SIGKILL'), 2000);
    await this.#exited;
    clearTimeout(killer);
  }

  #hangup(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#bridge.stdin!.end();
  }

  #write(bytes: string): void {
    if (this.#hungUp) return;
    this.#bridge.stdin!.write(Buffer.from(bytes, 'latin1'));
  }

  #fromHost(text: string): void {
    for (const ch of text) {
      // a command line ends with CR (V.250 5.2.1); text after "> " ends with Ctrl-Z
      if (ch === '\r' || ch === '\x1a') {
        const cmd = this.#partial.trim();
        this.#partial = '';
        if (cmd !== '') void this.#onCommand(cmd);
      } else if (ch !== '\n') {
        this.#partial += ch;
      }
    }
  }

  async #onCommand(cmd: string): Promise<void> {
    this.commands.push(cmd);
    if (this.#echo) this.#write(`${cmd}\r`);
    const next = this.#steps[this.#position];
    const scriptWantsIt = next?.kind === 'expect' && (next.regex ? next.regex.test(cmd) : next.text === cmd);
    if (!scriptWantsIt) {
      for (const s of this.#services) {
        const lines = await s.handle(cmd);
        if (lines !== undefined) {
          this.#write(lines.map((l) => `\r\n${l}\r\n`).join(''));
          return;
        }
      }
    }
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(cmd);
    } else {
      this.#inbox.push(cmd);
    }
  }

  #nextCommand(): Promise<string> {
    const c = this.#inbox.shift();
    if (c !== undefined) return Promise.resolve(c);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  async #play(): Promise<void> {
    for (; this.#position < this.#steps.length; this.#position++) {
      const s = this.#steps[this.#position]!;
      switch (s.kind) {
        case 'expect': {
          for (;;) {
            const cmd = await this.#nextCommand();
            if (s.regex ? s.regex.test(cmd) : s.text === cmd) break;
            this.mismatches.push(`line ${s.line}: expected ${s.text}, got ${cmd}`);
            this.#write('\r\nERROR\r\n');
          }
          break;
        }
        case 'send':
          this.#write(s.bytes);
          break;
        case 'wait':
          await new Promise((r) => setTimeout(r, s.ms));
          break;
        case 'cue':
          if (this.#cues.delete(s.name)) break;
          await new Promise<void>((resolve) => (this.#cueWaiter = { name: s.name, resolve }));
          break;
        case 'echo':
          this.#echo = s.on;
          break;
        case 'hangup':
          this.#hangup();
          break;
      }
    }
  }

  /** after the script: anything the services do not take is unexpected */
  async #afterScript(): Promise<void> {
    for (;;) {
      const cmd = await this.#nextCommand();
      this.mismatches.push(`after the end of the script: ${cmd}`);
      this.#write('\r\nERROR\r\n');
    }
  }
}
