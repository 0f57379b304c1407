// imsd as the user runs it, for the end-to-end tests: a child process in a network namespace,
// its log lines collected, its end awaited; and the probes the tests use to check what it left
// behind (bus name, sockets, XFRM state and policies).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../../../../lab/core/exec.js';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export interface ImsdChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** resolves with the first line (already seen or still to come) matching re */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string>;
}

/** how imsd is started: from its sources through tsx (default), or e.g. a built dist/daemon/main.js */
export const FROM_SOURCES = [process.execPath, '--import', 'tsx', 'daemon/main.ts'];

/** `ip netns exec NS node --import tsx daemon/main.ts --config FILE` (ip execs node: same pid) */
export function spawnImsd(ns: string, config: string, env: NodeJS.ProcessEnv = {}, program: string[] = FROM_SOURCES): ImsdChild {
  const child = spawn('ip', ['netns', 'exec', ns, ...program, '--foreground', '--config', config], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const feed = (chunk: Buffer, buf: { s: string }): void => {
    buf.s += chunk.toString('utf8');
    const parts = buf.s.split('\n');
    buf.s = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  };
  const out = { s: '' };
  const err = { s: '' };
  child.stdout!.on('data', (c: Buffer) => feed(c, out));
  child.stderr!.on('data', (c: Buffer) => feed(c, err));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal, at: Date.now() });
      for (const w of waiters) w();
    });
  });
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    pid: child.pid!,
    lines,
    exited,
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = lines.find((l) => re.test(l));
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (ended) {
            done();
            reject(new Error(`imsd exited before logging ${re}; its log:\n${lines.slice(-30).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line ${re} within ${timeoutMs} ms; imsd's log:\n${lines.slice(-30).join('\n')}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export async function nameHasOwner(busAddress: string, name: string): Promise<boolean> {
  const out = await run(['dbus-send', `--bus=${busAddress}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`]);
  if (/boolean true/.test(out)) return true;
  if (/boolean false/.test(out)) return false;
  throw new Error(`unexpected NameHasOwner reply: ${out}`);
}

/** UDP and TCP sockets of any process in the namespace, as `ss` lists them */
export async function socketsInNs(ns: string): Promise<string[]> {
  const out = await run(['ip', 'netns', 'exec', ns, 'ss', '-Htuanp']);
  return out.split('\n').filter((l) => l.trim() !== '');
}

export async function xfrmInNs(ns: string): Promise<{ states: number; policies: number }> {
  const count = async (what: string): Promise<number> =>
    (await run(['ip', '-n', ns, 'xfrm', what, 'list'])).split('\n').filter((l) => /^src /.test(l)).length;
  return { states: await count('state'), policies: await count('policy') };
}

/** org.ofono.IpMultimediaSystem.GetProperties through dbus-send, as a flat key → printed value map */
export async function imsProperties(busAddress: string, busName: string, path: string): Promise<Record<string, string>> {
  const out = await run(['dbus-send', `--bus=${busAddress}`, '--print-reply', `--dest=${busName}`, path, 'org.ofono.IpMultimediaSystem.GetProperties']);
  const props: Record<string, string> = {};
  for (const m of out.matchAll(/string "(\w+)"\s+variant\s+(\w+) ("?[^\n"]*"?)/g)) props[m[1]!] = m[3]!;
  return props;
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
