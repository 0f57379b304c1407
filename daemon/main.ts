#!/usr/bin/env node
// imsd: `imsd [--config FILE] [--foreground]`. Reads /etc/imsd/imsd.conf (or FILE), starts the
// registration behind the oFono-compatible D-Bus interfaces, and runs until SIGTERM or SIGINT:
// then it de-registers, removes its SAs, releases the bus name and exits 0 within 5 s.
// imsd never forks: systemd (Type=dbus) or the lab supervises it; --foreground is accepted for
// the habit of `ofonod -n` and changes nothing. The log goes to stdout with syslog priorities.
import { parseArgs } from 'node:util';
import { ConfigError } from './config/errors.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from './config/load.js';
import { startImsd } from './composition/daemon.js';
import { createLogger } from './log/logger.js';
import { scrub } from './log/redact.js';

const USAGE = `usage: imsd [--config FILE] [--foreground]
  --config FILE   configuration file (default ${DEFAULT_CONFIG_FILE})
  --foreground    stay in the foreground (always the case; for ofonod -n habits)`;

/** the whole stop (de-register, SAs, bus name) must fit in this; systemd's stop timeout is longer */
const STOP_BUDGET_MS = 4500;

async function main(argv: string[]): Promise<number> {
  let values: { config?: string; foreground?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, foreground: { type: 'boolean', short: 'n' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    process.stderr.write(`imsd: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_FILE);
  const logger = createLogger({ level: config.log.level });
  // a signal during start-up is remembered and honoured as soon as there is something to stop
  let stopSignal: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopSignal) return;
    stopSignal = sig;
    wake?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  logger.notice('starting', { config: config.file, pid: process.pid, node: process.version });
  const imsd = await startImsd(config, logger);
  if (!stopSignal) await new Promise<void>((resolve) => (wake = resolve));
  logger.notice('stopping', { signal: stopSignal });
  // a stuck step must not keep imsd past systemd's patience
  const guard = setTimeout(() => {
    logger.error('stop took too long; exiting', { budgetMs: STOP_BUDGET_MS });
    process.exit(1);
  }, STOP_BUDGET_MS + 400);
  guard.unref();
  await imsd.stop(STOP_BUDGET_MS);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // configuration errors already name file, line and reason
    const msg = e instanceof ConfigError ? e.message : `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    // <3> = syslog err, for journald (sd-daemon(3))
    process.stderr.write(`<3>imsd: ${scrub(msg)}\n`);
    process.exit(1);
  },
);
