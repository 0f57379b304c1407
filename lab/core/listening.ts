// Readiness probes: is something listening / connected inside a namespace (iproute2 `ss`).
import { inNs, run } from './exec.js';

export async function isListening(ns: string, proto: 'udp' | 'tcp', port: number): Promise<boolean> {
  const flag = proto === 'udp' ? '-u' : '-t';
  const out = await run(inNs(ns, ['ss', '-Hln', flag, `sport = :${port}`])).catch(() => '');
  return out.trim().length > 0;
}

export async function hasEstablishedTcp(ns: string, port: number): Promise<boolean> {
  const out = await run(inNs(ns, ['ss', '-Htn', 'state', 'established', `( sport = :${port} or dport = :${port} )`])).catch(() => '');
  return out.trim().length > 0;
}
