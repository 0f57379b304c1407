// Far-end phone controls through baresip's ctrl_tcp (netstring-framed JSON commands).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_PORTS, names, type LabOptions } from '../options.js';
import { run, inNs } from './exec.js';

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'ctrl-tcp-client.mjs');

export interface CtrlResponse {
  ok: boolean;
  data: string;
}

/** Send one command; the control port is on the core namespace's loopback, so the client runs there. */
export async function farEndCommand(o: LabOptions, command: string, params = ''): Promise<CtrlResponse> {
  const n = names(o);
  const out = await run(inNs(n.coreNs, [process.execPath, CLIENT, String(CORE_PORTS.farEndCtrl), command, params]), {
    timeoutMs: 10_000,
  });
  const m = JSON.parse(out) as { ok?: boolean; data?: string };
  return { ok: m.ok === true, data: m.data ?? '' };
}
