// SIPp (Debian sip-tester) as a lab peer in one of the lab's namespaces, with a scenario from
// ./sipp whose placeholders are filled in; each run in its own directory with its error log.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface SippPeerRun {
  done: Promise<{ code: number | null; errors: string; messages: string }>;
  kill(): void;
}

export function sippIn(o: { namespace: string; scenario: string; vars: Record<string, string>; local: string; port: number; target?: string; workDir: string; name: string; timeoutS?: number; edit?: (text: string) => string; extraArgs?: string[] }): SippPeerRun {
  const dir = join(o.workDir, o.name);
  mkdirSync(dir, { recursive: true });
  let text = readFileSync(join(HERE, 'sipp', o.scenario), 'utf8');
  if (o.edit) text = o.edit(text);
  for (const [k, v] of Object.entries(o.vars)) text = text.replaceAll(k, v);
  const sf = join(dir, o.scenario);
  writeFileSync(sf, text);
  const errors = join(dir, 'errors.log');
  const messages = join(dir, 'messages.log');
  const argv = ['netns', 'exec', o.namespace, 'sipp', ...(o.target ? [o.target] : []), '-sf', sf, '-i', o.local, '-p', String(o.port), '-t', 'u1', '-m', '1', '-nostdin',
    '-timeout', `${o.timeoutS ?? 30}s`, '-timeout_error', '-trace_err', '-error_file', errors, '-trace_msg', '-message_file', messages, '-trace_logs', '-log_file', join(dir, 'log.log'), ...(o.extraArgs ?? [])];
  const child = spawn('ip', argv, { cwd: dir, stdio: 'ignore' });
  const done = new Promise<{ code: number | null; errors: string; messages: string }>((res) =>
    child.on('exit', (code) => res({
      code,
      errors: existsSync(errors) ? readFileSync(errors, 'utf8') : '',
      messages: existsSync(messages) ? readFileSync(messages, 'utf8') : '',
    })),
  );
  return { done, kill: () => void child.kill('SIGKILL') };
}
