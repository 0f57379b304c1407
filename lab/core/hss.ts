// Starts the lab's Cx HSS (lab/hss/main.ts) in the core namespace. It re-reads the subscribers
// file when it changes, so `subscriber add` on a running lab only edits that file.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_PORTS, names, type LabOptions } from '../options.js';
import { inNs, startDaemon } from './exec.js';

const HSS_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'hss', 'main.ts');

export function hssAvailable(): boolean {
  return existsSync(HSS_MAIN);
}

export function startHss(o: LabOptions): number {
  const n = names(o);
  const configFile = join(o.runDir, 'hss.json');
  const config = {
    listen: { host: '127.0.0.1', port: CORE_PORTS.hssDiameter },
    originHost: n.hssHost,
    originRealm: o.domain,
    domain: o.domain,
    subscribersFile: n.subscribersFile,
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  return startDaemon(
    inNs(n.coreNs, [process.execPath, '--import', 'tsx', HSS_MAIN, '--config', configFile]),
    join(n.logDir, 'hss.log'),
  );
}
