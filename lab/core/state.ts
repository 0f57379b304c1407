// The running lab's state in <runDir>/state.json, so `down`/`status`/`far-end` work from another process.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { names, type LabOptions } from '../options.js';

export interface LabState {
  options: LabOptions;
  /** Component name → pid (processes started in the lab's namespaces). */
  pids: Record<string, number>;
  ipsec: boolean;
  /** Where the lab runs: on this kernel, or inside User-Mode Linux (then umlPid is the UML kernel). */
  mode: 'host' | 'uml';
  umlPid?: number;
  startedAt: string;
  /** Milliseconds from the start of `up` until every component answered its readiness probe. */
  readyMs?: number;
}

export function readState(o: LabOptions): LabState | undefined {
  const f = names(o).stateFile;
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as LabState;
}

export function writeState(o: LabOptions, s: LabState): void {
  const f = names(o).stateFile;
  writeFileSync(`${f}.tmp`, JSON.stringify(s, null, 2) + '\n');
  renameSync(`${f}.tmp`, f);
}
