// A pcscd of our own for tests and benchmarks: in its own network namespace (so its vpcd driver's
// TCP ports 35963/35964 do not meet a system pcscd's) and its own mount namespace with a private
// /run, so its socket lands in a temp dir that clients reach through PCSCLITE_CSOCK_NAME.
// Everything is removed by stop(), also after a failed start.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
/** vpcd's first slot listens on 0x8C7B = 35963, the second on the next port. */
export const VPCD_PORTS = [35963, 35964] as const;
/** pcscd names vpcd's two slots after FRIENDLYNAME plus reader and slot numbers. */
export const VPCD_READERS = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;

export class IsolatedPcscd {
  readonly netns: string;
  readonly dir: string;
  readonly socket: string;
  #pcscd: ChildProcess | null = null;
  #log = '';

  private constructor() {
    this.netns = `imsdt-${randomBytes(4).toString('hex')}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.netns}-pcscd-`));
    this.socket = join(this.dir, 'run', 'pcscd', 'pcscd.comm');
  }

  /** `debug`: pcscd logs at debug level (without APDUs) into `log`. */
  static async start(options: { debug?: boolean } = {}): Promise<IsolatedPcscd> {
    const p = new IsolatedPcscd();
    try {
      await p.#start(options.debug === true);
      return p;
    } catch (e) {
      await p.stop();
      throw e;
    }
  }

  get log(): string {
    return this.#log;
  }

  async #start(debug: boolean): Promise<void> {
    const conf = join(this.dir, 'reader.conf.d');
    mkdirSync(join(this.dir, 'run', 'pcscd'), { recursive: true });
    mkdirSync(conf);
    writeFileSync(join(conf, 'vpcd'), [
      'FRIENDLYNAME "Virtual PCD"',
      'DEVICENAME   /dev/null:0x8C7B',
      `LIBPATH      ${VPCD_DRIVER}`,
      'CHANNELID    0x8C7B',
      '',
    ].join('\n'));
    execFileSync('ip', ['netns', 'add', this.netns]);
    execFileSync('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    // vpcd writes each message's length and payload with separate send()s; with Nagle on its side
    // and delayed ACKs on ours every APDU would wait ~40 ms. Quick ACKs on loopback remove that.
    for (const prefix of ['127.0.0.0/8', '127.0.0.1']) {
      execFileSync('ip', ['-n', this.netns, 'route', 'replace', 'local', prefix, 'dev', 'lo', 'table', 'local',
        'proto', 'kernel', 'scope', 'host', 'src', '127.0.0.1', 'quickack', '1']);
    }
    const script = `mount --make-rprivate / && mount --bind "$1" /run && exec pcscd --foreground --config "$2" $3`;
    this.#pcscd = spawn('ip', ['netns', 'exec', this.netns, 'unshare', '--mount', 'sh', '-c', script, 'sh', join(this.dir, 'run'), conf, debug ? '--debug' : ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (b: Buffer): void => { this.#log += b.toString(); };
    this.#pcscd.stdout!.on('data', collect);
    this.#pcscd.stderr!.on('data', collect);
    const deadline = Date.now() + 5000;
    while (!existsSync(this.socket)) {
      if (this.#pcscd.exitCode !== null || Date.now() > deadline) throw new Error(`isolated pcscd did not start: ${this.#log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Spawns a command inside the namespace, where vpcd's ports are on 127.0.0.1. */
  spawnInNetns(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.netns, command, ...args], options);
  }

  async stop(): Promise<void> {
    const p = this.#pcscd;
    if (p !== null && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    this.#pcscd = null;
    try {
      // Anything still in the namespace (a virtual card) goes with it.
      const pids = execFileSync('ip', ['netns', 'pids', this.netns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
      for (const pid of pids) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
      }
      execFileSync('ip', ['netns', 'del', this.netns], { stdio: 'ignore' });
    } catch {
      // the namespace was never created
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
