// Runs xfrm-driver.ts in a network namespace and collects its per-step results.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'xfrm-driver.ts');

export interface StepResult {
  ok?: unknown;
  error?: { name: string; operation?: string; errno?: number | null; code?: string; message: string };
}

export function parseSteps(output: string): StepResult[] {
  const out: StepResult[] = [];
  for (const m of output.matchAll(/^STEP (\d+) (.*)$/gm)) out[Number(m[1])] = JSON.parse(m[2]) as StepResult;
  return out;
}

/** milliseconds each step took */
export function parseTimes(output: string): number[] {
  const out: number[] = [];
  for (const m of output.matchAll(/^TIME (\d+) (\S+)$/gm)) out[Number(m[1])] = Number(m[2]);
  return out;
}

export function driveInNetns(ns: string, steps: unknown[]): Promise<{ steps: StepResult[]; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', DRIVER, JSON.stringify(steps)], { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`xfrm-driver failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve({ steps: parseSteps(stdout), output: stdout + stderr });
      });
  });
}
