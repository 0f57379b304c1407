// Runs the imsd-lab CLI as a user would (a separate process), with a run dir and namespace
// prefix unique to this test run so it never meets a user's lab or another test's.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(REPO, 'lab', 'cli.ts');

export interface TestLab {
  runDir: string;
  prefix: string;
  cli(args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
}

export function makeTestLab(): TestLab {
  const prefix = `it${randomBytes(3).toString('hex')}`;
  const runDir = join(mkdtempSync(join(tmpdir(), 'imsdt-')), 'lab');
  return {
    runDir,
    prefix,
    cli: (args, timeoutMs = 120_000) =>
      new Promise((res) => {
        execFile(
          process.execPath,
          // these tests bring their own UE: `up` without imsd (tests/e2e/daemon/main/ tests the lab's imsd)
          ['--import', 'tsx', CLI, '--run-dir', runDir, '--prefix', prefix, ...args, ...(args[0] === 'up' ? ['--no-imsd'] : [])],
          { cwd: REPO, timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
            res({ code, stdout, stderr });
          },
        );
      }),
  };
}
