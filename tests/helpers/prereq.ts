// Prerequisite checks for tests that need root, Debian packages or User-Mode Linux.
// Outside CI a missing prerequisite skips the test with a loud reason; in CI (CI set)
// it fails the test, because CI installs everything (scripts/install-deps.sh).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function hasFile(path: string): boolean {
  return existsSync(path);
}

export interface Prerequisite {
  what: string;
  ok: boolean;
}

/** Skip (outside CI, loudly) or fail (in CI) unless every prerequisite holds. */
export function requirePrerequisites(ctx: Mocha.Context, prereqs: Prerequisite[]): void {
  const missing = prereqs.filter((p) => !p.ok).map((p) => p.what);
  if (missing.length === 0) return;
  const reason = `missing prerequisite(s): ${missing.join(', ')} (run scripts/install-deps.sh as root)`;
  if (process.env.CI) throw new Error(`CI must provide every prerequisite; ${reason}`);
  console.warn(`\n  *** SKIPPED "${ctx.currentTest?.fullTitle() ?? ctx.test?.fullTitle() ?? ''}": ${reason} ***\n`);
  ctx.skip();
}

export const root = (): Prerequisite => ({ what: 'root', ok: isRoot() });
export const command = (name: string): Prerequisite => ({ what: `command ${name}`, ok: hasCommand(name) });
export const file = (path: string): Prerequisite => ({ what: path, ok: hasFile(path) });
