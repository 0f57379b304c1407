// Runs inside User-Mode Linux (ESP in the kernel): `up` with imsd and sec-agree, then oFono's
// scripts drive imsd's registration and SIGTERM stops it; writes what it saw to <work>/result.json
// for the host side of tests/e2e/daemon/main/ofono-scripts-uml.test.ts. Always takes the lab down.
// `tsx imsd-uml-run.ts <work> <prefix>`
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../../../../lab/core/exec.js';
import { down, up } from '../../../../../lab/core/lab.js';
import { imsdPaths, LAB_IMSD } from '../../../../../lab/core/ue.js';
import { defaultOptions, names } from '../../../../../lab/options.js';
import { imsProperties, nameHasOwner, socketsInNs, waitUntil, xfrmInNs } from '../imsd-process.js';

export interface UmlRunResult {
  ok: boolean;
  error?: string;
  ipsec?: boolean;
  registeredAfterUpMs?: number;
  listModems?: string;
  xfrmRegistered?: { states: number; policies: number };
  xfrmAfterUnregister?: { states: number; policies: number };
  registeredAgain?: boolean;
  xfrmRegisteredAgain?: { states: number; policies: number };
  stopMs?: number;
  afterStop?: { nameOwned: boolean; sockets: string[]; xfrm: { states: number; policies: number } };
  imsdLog?: string;
}

const [work, prefix] = process.argv.slice(2) as [string, string];
const r: UmlRunResult = { ok: false };
const o = defaultOptions({ runDir: join(work, 'lab'), prefix, ipsec: 'on' });
const ns = names(o).ueNs;
const bus = imsdPaths(o).busAddress;
const script = (name: string): string =>
  execFileSync(`/usr/share/ofono/scripts/${name}`, [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus }, encoding: 'utf8', timeout: 60_000 });
const registered = async (): Promise<boolean> => (await imsProperties(bus, LAB_IMSD.busName, LAB_IMSD.modemPath)).Registered === 'true';

async function main(): Promise<void> {
  const st = await up(o, { slow: true, imsd: true, log: (l) => console.error(l) });
  r.ipsec = st.ipsec;
  const t0 = Date.now();
  await waitUntil('Registered = true', registered, 120_000, 200);
  r.registeredAfterUpMs = Date.now() - t0;
  r.listModems = script('list-modems');
  r.xfrmRegistered = await xfrmInNs(ns);
  script('ims-unregister');
  await waitUntil('Registered = false', async () => !(await registered()), 60_000, 200);
  // the D-Bus property turns false with the 200; the SAs go right after it
  await waitUntil('SAs removed', async () => (await xfrmInNs(ns)).states === 0, 10_000, 200).catch(() => undefined);
  r.xfrmAfterUnregister = await xfrmInNs(ns);
  script('ims-register');
  await waitUntil('Registered = true again', registered, 120_000, 200);
  r.registeredAgain = true;
  r.xfrmRegisteredAgain = await xfrmInNs(ns);
  const pid = st.pids.imsd!;
  const t1 = Date.now();
  process.kill(pid, 'SIGTERM');
  await waitUntil('imsd to exit', async () => !isAlive(pid), 30_000, 20);
  r.stopMs = Date.now() - t1;
  r.afterStop = {
    nameOwned: await nameHasOwner(bus, LAB_IMSD.busName),
    sockets: (await socketsInNs(ns)).filter((l) => l.includes(`pid=${pid},`)),
    xfrm: await xfrmInNs(ns),
  };
  r.ok = true;
}

main()
  .catch((e: unknown) => {
    r.error = e instanceof Error ? e.message : String(e);
  })
  .finally(async () => {
    try {
      r.imsdLog = readFileSync(imsdPaths(o).log, 'utf8');
    } catch {
      // no log: up failed before imsd
    }
    writeFileSync(join(work, 'result.json'), JSON.stringify(r, null, 2));
    await down(o, { quiet: true }).catch(() => undefined);
  });
