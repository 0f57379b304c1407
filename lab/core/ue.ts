// The UE side of the lab: imsd itself, standalone (it owns org.ofono, as on a phone without oFono)
// on a private system bus, in the UE namespace, registered to the lab's P-CSCF. The bus daemon
// listens on a socket in the run dir, so D-Bus clients anywhere on the machine reach it through
// DBUS_SYSTEM_BUS_ADDRESS while imsd's SIP and XFRM stay inside the UE namespace.
// imsd runs from its TypeScript sources through tsx (no build needed); `npm run build` gives
// dist/daemon/main.js for installed systems. `up` starts it only when asked (`imsd-lab up` does
// by default; tests that bring their own UE do not).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { names, type LabOptions } from '../options.js';
import { inNs, isAlive, run, startDaemon, waitFor } from './exec.js';
import { readSubscribers } from './subscribers.js';

export interface UeInfo {
  ueNamespace: string;
  ueAddress: string;
  ueAddress6: string;
  pcscf: { address: string; address6: string; port: number };
  domain: string;
  /** the P-CSCF does sec-agree (IPsec) */
  ipsec: boolean;
}

/** What `status --json` shows as `imsd`. */
export interface ImsdInfo {
  busAddress: string;
  busName: string;
  modemPath: string;
  pid: number | null;
}

export const LAB_IMSD = { busName: 'org.ofono', modemPath: '/imsd_0' } as const;

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function imsdPaths(o: LabOptions) {
  const dir = join(o.runDir, 'imsd');
  return {
    dir,
    busConfig: join(dir, 'bus.conf'),
    busSocket: join(dir, 'system_bus_socket'),
    busAddress: `unix:path=${join(dir, 'system_bus_socket')}`,
    config: join(dir, 'imsd.conf'),
    stateDir: join(dir, 'state'),
    log: join(names(o).logDir, 'imsd.log'),
    busLog: join(names(o).logDir, 'dbus.log'),
  };
}

export function imsdInfo(o: LabOptions, pids: Record<string, number>): ImsdInfo {
  return { busAddress: imsdPaths(o).busAddress, ...LAB_IMSD, pid: pids.imsd ?? null };
}

/** a private system-like bus: root may own any name, anyone may call (a lab, not a phone) */
function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;
}

export function imsdConfig(o: LabOptions, info: UeInfo, stateDir: string, busAddress: string): string {
  const sub = readSubscribers(o)[0];
  if (!sub) throw new Error('the lab has no subscriber for imsd');
  return `# written by imsd-lab up: imsd in the UE namespace, registered to the lab's P-CSCF
[General]
Bus=${busAddress}
BusName=${LAB_IMSD.busName}
Modem=simulated
ModemPath=${LAB_IMSD.modemPath}
StateDir=${stateDir}

[Sim]
Source=soft
Imsi=${sub.imsi}
Ki=${sub.k}
Opc=${sub.opc}
Amf=${sub.amf}

[Ims]
Pcscf=${info.pcscf.address}
PcscfPort=${info.pcscf.port}
Interface=${names(o).ueIf}
SecAgree=${info.ipsec ? 'ipsec-3gpp' : 'none'}
Transport=auto

[Modem]
# the calls' RTP on the AP: G.711 and DTMF to and from the far end
ApRtp=true

[Log]
Level=debug
`;
}

/** Start the lab's private system bus (in the UE namespace); resolves with its pid once it listens. */
export async function startLabBus(o: LabOptions, ns: string, timeoutMs = 15_000): Promise<number> {
  const p = imsdPaths(o);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  writeFileSync(p.busConfig, busConfig(p.busSocket));
  const pid = startDaemon(inNs(ns, ['dbus-daemon', `--config-file=${p.busConfig}`, '--nofork', '--nopidfile']), p.busLog);
  await waitFor('private system bus', async () => {
    if (!isAlive(pid)) throw new Error(`dbus-daemon exited; see ${p.busLog}`);
    return existsSync(p.busSocket);
  }, timeoutMs, 20);
  return pid;
}

/** Start the bus and imsd; resolves once imsd owns its bus name. Returns the pids to stop at `down`. */
export async function startUe(o: LabOptions, info: UeInfo, timeoutMs = 15_000): Promise<Record<string, number>> {
  const p = imsdPaths(o);
  const pids: Record<string, number> = {};
  pids.dbus = await startLabBus(o, info.ueNamespace, timeoutMs);
  writeFileSync(p.config, imsdConfig(o, info, p.stateDir, p.busAddress), { mode: 0o600 });
  // `env -C`: tsx is found from the repository, whatever the caller's working directory
  pids.imsd = startDaemon(inNs(info.ueNamespace, ['env', '-C', REPO, process.execPath, '--import', 'tsx', 'daemon/main.ts', '--foreground', '--config', p.config]), p.log);
  await waitFor(`imsd owning ${LAB_IMSD.busName}`, async () => {
    if (!isAlive(pids.imsd!)) throw new Error(`imsd exited; see ${p.log}`);
    return nameHasOwner(p.busAddress, LAB_IMSD.busName);
  }, timeoutMs, 50);
  return pids;
}

async function nameHasOwner(busAddress: string, name: string): Promise<boolean> {
  const out = await run(['dbus-send', `--bus=${busAddress}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`]).catch(() => '');
  return /boolean true/.test(out);
}

/** Commands to try against the lab's imsd, printed by `up`. */
export function tryCommands(o: LabOptions): string[] {
  const a = imsdPaths(o).busAddress;
  const env = `DBUS_SYSTEM_BUS_ADDRESS=${a}`;
  return [
    `${env} /usr/share/ofono/scripts/list-modems`,
    `${env} /usr/share/ofono/scripts/ims-unregister`,
    `${env} /usr/share/ofono/scripts/ims-register`,
    `dbus-send --bus=${a} --print-reply --dest=${LAB_IMSD.busName} ${LAB_IMSD.modemPath} org.ofono.IpMultimediaSystem.GetProperties`,
    `dbus-send --bus=${a} --print-reply --dest=${LAB_IMSD.busName} / org.ofono.Manager.GetModems`,
    `npx tsx daemon/imsctl.ts --bus ${a} --name ${LAB_IMSD.busName} --modem ${LAB_IMSD.modemPath} status`,
    `tail -f ${imsdPaths(o).log}`,
  ];
}
