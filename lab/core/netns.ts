// The lab's topology: a core namespace and a UE namespace joined by a veth pair, IPv4 + IPv6.
// Addresses are private and exist only inside these namespaces; neither has a default route,
// so nothing can leave the machine.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { names, type LabOptions } from '../options.js';
import { run, tryRun } from './exec.js';

const NETNS_ETC = '/etc/netns';

export async function listNamespaces(): Promise<string[]> {
  const out = await run(['ip', '-j', 'netns', 'list']).catch(() => '[]');
  const parsed = JSON.parse(out.trim() || '[]') as { name: string }[];
  return parsed.map((n) => n.name);
}

export async function createTopology(o: LabOptions): Promise<void> {
  const n = names(o);
  await run(['ip', 'netns', 'add', n.coreNs]);
  await run(['ip', 'netns', 'add', n.ueNs]);
  // Create the pair inside the core namespace so no lab interface ever appears in the host's.
  await run(['ip', '-n', n.coreNs, 'link', 'add', n.coreIf, 'type', 'veth', 'peer', 'name', n.ueIf, 'netns', n.ueNs]);
  for (const [ns, ifname, v4, v6] of [
    [n.coreNs, n.coreIf, o.coreV4, o.coreV6],
    [n.ueNs, n.ueIf, o.ueV4, o.ueV6],
  ] as const) {
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await run(['ip', '-n', ns, 'addr', 'add', `${v4}/24`, 'dev', ifname]);
    await run(['ip', '-n', ns, 'addr', 'add', `${v6}/64`, 'dev', ifname, 'nodad']);
    await run(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
  }
  await addDeadPcscf(o);
  writeHosts(o);
}

/** MAC of the never-answering P-CSCF: locally administered, on no interface. */
export const DEAD_PCSCF_MAC = '02:00:5e:ad:de:ad';

/**
 * A P-CSCF address that swallows everything: the UE namespace resolves it (permanent neighbour
 * entries) to a MAC no interface has, so the core side drops every frame as not its own and nothing,
 * not even ICMP, comes back. Old state files lack the addresses: then there is none.
 */
async function addDeadPcscf(o: LabOptions): Promise<void> {
  const n = names(o);
  const o2 = o as Partial<LabOptions>;
  if (o2.deadPcscfV4) {
    await run(['ip', '-n', n.ueNs, 'neigh', 'replace', o2.deadPcscfV4, 'lladdr', DEAD_PCSCF_MAC, 'dev', n.ueIf, 'nud', 'permanent']);
  }
  if (o2.deadPcscfV6) {
    await run(['ip', '-n', n.ueNs, '-6', 'neigh', 'replace', o2.deadPcscfV6, 'lladdr', DEAD_PCSCF_MAC, 'dev', n.ueIf, 'nud', 'permanent']);
  }
}

/** /etc/netns/<ns>/hosts is bind-mounted over /etc/hosts by `ip netns exec` (Kamailio's DNS cache is off). */
function writeHosts(o: LabOptions): void {
  const n = names(o);
  const core = [
    `127.0.0.1 localhost ${o.domain} ${n.pcscfHost} ${n.scscfHost} ${n.hssHost}`,
    '::1 localhost ip6-localhost',
  ];
  const ue = [`127.0.0.1 localhost`, '::1 localhost ip6-localhost', `${o.coreV4} ${n.pcscfHost}`, `${o.coreV6} ${n.pcscfHost}`];
  for (const [ns, lines] of [
    [n.coreNs, core],
    [n.ueNs, ue],
  ] as const) {
    const dir = join(NETNS_ETC, ns);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hosts'), lines.join('\n') + '\n');
  }
}

/** Remove both namespaces (which removes the veth pair) and their /etc/netns entries. */
export async function removeTopology(o: LabOptions): Promise<void> {
  const n = names(o);
  const existing = await listNamespaces();
  for (const ns of [n.coreNs, n.ueNs]) {
    if (existing.includes(ns)) await tryRun(['ip', 'netns', 'delete', ns]);
    rmSync(join(NETNS_ETC, ns), { recursive: true, force: true });
  }
}

/** Pids of every process living in a namespace (`ip netns pids`). */
export async function pidsInNamespace(ns: string): Promise<number[]> {
  const out = await run(['ip', 'netns', 'pids', ns]).catch(() => '');
  return out
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p !== process.pid);
}
