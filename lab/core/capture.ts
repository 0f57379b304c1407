// A pcap of every interface of the core namespace (loopback between the CSCFs, HSS and far end,
// and the veth towards the UE).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { names, type LabOptions } from '../options.js';
import { inNs, startDaemon } from './exec.js';

export function startCapture(o: LabOptions): number {
  const n = names(o);
  mkdirSync(dirname(n.pcapFile), { recursive: true });
  // --immediate-mode -U: hand each packet over and write it at once so the file is readable while the lab runs; -Z root: keep the
  // file writable in a root-owned run dir.
  return startDaemon(inNs(n.coreNs, ['tcpdump', '-i', 'any', '--immediate-mode', '-U', '-n', '-Z', 'root', '-w', n.pcapFile]), join(n.logDir, 'tcpdump.log'));
}
