// The composition root's body: every concrete class of imsd meets here. startImsd() opens the
// SIM, the modem driver and (with sec-agree) the XFRM manager, adapts the registration service to
// the D-Bus ImsBackend, puts the MMTel call service behind VoiceCallManager once the registration
// exists (LateCallBackend) and owns the bus name; stop() undoes it in the order of the issues:
// end the calls (BYE/CANCEL/reject), de-register, remove the SAs, release the bus name.
// Modem=mediatek with Mode=modem-ims is composed in modem-ims.ts instead (the modem is the IMS client).
import { mkdirSync } from 'node:fs';
import type { SimCard } from '../auth/sim/sim-card.js';
import type { ImsdConfig } from '../config/schema.js';
import { startDbusService } from '../dbus/backend.js';
import type { CallBackend, DbusService, ImsBackend } from '../dbus/backend.js';
import { startCallService } from '../ims/call/service.js';
import { startRegistration, type StartRegistrationOptions } from '../ims/registration/service.js';
import type { IpsecManager } from '../ipsec/types.js';
import type { Logger } from '../log/logger.js';
import { EMERGENCY_NUMBERS, LateCallBackend } from './call-backend.js';
import { RegistrationBackend } from './ims-backend.js';
import { openDriver } from './driver.js';
import { openSim } from './sim.js';

export const USER_AGENT = 'imsd/0.1';

/** The D-Bus service could not start: no bus at the address, or the name is not ours to own. */
export class DbusStartError extends Error {
  override name = 'DbusStartError';
}

export interface Imsd {
  readonly backend: ImsBackend;
  readonly calls: CallBackend;
  readonly dbus: DbusService;
  /** de-register (bounded by timeoutMs), remove every SA, close sockets, release the bus name */
  stop(timeoutMs: number): Promise<void>;
}

/** RFC 3261 18.1.1: requests above this size go over TCP; udp/tcp pin the transport. */
function udpSizeThreshold(c: ImsdConfig): number | undefined {
  switch (c.ims.transport) {
    case 'udp':
      return 65_535;
    case 'tcp':
      return 0;
    default:
      return undefined;
  }
}

async function openIpsec(logger: Logger): Promise<IpsecManager> {
  const { XfrmIpsecManager } = await import('../ipsec/sa-manager.js');
  const log = logger.child('ipsec');
  return XfrmIpsecManager.open({ log: (line) => log.info(line) });
}

/** IpMultimediaSystem and VoiceCallManager on the configured bus and name, over these backends */
export async function serveOnDbus(c: ImsdConfig, logger: Logger, ims: ImsBackend, calls: CallBackend, modemInfo: Record<string, string>): Promise<DbusService> {
  const dbus = await startDbusService({ bus: c.general.bus, busName: c.general.busName, modemPath: c.general.modemPath, ims, calls, stateDir: c.general.stateDir, logger, modemInfo }).catch((e: Error) => {
    throw new DbusStartError(`cannot serve ${c.general.busName} on the ${c.general.bus === 'system' ? 'system bus' : `bus ${c.general.bus}`}: ${e.message}`);
  });
  logger.notice('serving on D-Bus', { busName: c.general.busName, modemPath: c.general.modemPath, registration: dbus.registrationSetting });
  return dbus;
}

export async function startImsd(c: ImsdConfig, logger: Logger): Promise<Imsd> {
  if (c.general.modem === 'mediatek' && c.modem.mode === 'modem-ims') {
    mkdirSync(c.general.stateDir, { recursive: true, mode: 0o700 });
    const { startModemImsd } = await import('./modem-ims.js');
    return startModemImsd(c, logger);
  }
  const closers: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((e: Error) => logger.warning('clean-up step failed', { error: e.message }));
  };
  try {
    mkdirSync(c.general.stateDir, { recursive: true, mode: 0o700 });
    const driver = await openDriver(c, logger);
    closers.push(() => driver.close());
    const sim: SimCard = await openSim(c, logger);
    closers.push(() => sim.close());
    const ids = await sim.identities();
    logger.notice('SIM ready', { source: c.sim.source, impi: ids.impi });
    const ipsec: IpsecManager | 'none' = c.ims.secAgree === 'none' ? 'none' : await openIpsec(logger);
    if (ipsec !== 'none') closers.push(() => ipsec.close());
    const threshold = udpSizeThreshold(c);
    const regOptions: StartRegistrationOptions = {
      driver,
      sim,
      ipsec,
      logger,
      pcscfPort: c.ims.pcscfPort,
      localPort: c.ims.localPort,
      userAgent: USER_AGENT,
      ...(c.ims.pcscf ? { pcscf: c.ims.pcscf } : {}),
      ...(c.ims.impu ? { impu: c.ims.impu } : {}),
      ...(threshold !== undefined ? { udpSizeThreshold: threshold } : {}),
      // what the call service needs of the SIP core (daemon/ims/call/service.ts): RFC 3262 100rel,
      // RFC 3312 preconditions, RFC 4028 session timers (IR.92 2.2.x, 2.4.1)
      supported: ['100rel', 'precondition', 'timer'],
      sessionTimer: { interval: 1800, minSE: 90 },
    };
    const calls = new LateCallBackend({
      emergencyNumbers: EMERGENCY_NUMBERS,
      logger,
      start: (registration) => startCallService({ registration, driver, logger, emergencyNumbers: [...EMERGENCY_NUMBERS] }),
    });
    const backend = new RegistrationBackend({ imsi: ids.imsi, start: () => startRegistration(regOptions), calls, logger: logger.child('ims') });
    closers.push(() => backend.close(5000));
    const dbus = await serveOnDbus(c, logger, backend, calls, { Name: 'imsd simulated modem', Manufacturer: 'imsd', Model: 'simulated', Revision: USER_AGENT });
    return {
      backend,
      calls,
      dbus,
      async stop(timeoutMs: number): Promise<void> {
        const t0 = Date.now();
        // calls end first, over the registration's flows (BYE for active calls, CANCEL, 603 for incoming);
        // their CallRemoved signals still go out on the bus; a far end that does not answer the BYE
        // must not eat the de-registration's time (the BYE transaction then ends on its own)
        const callsBudget = Math.min(1500, Math.floor(timeoutMs / 3));
        let bounded: NodeJS.Timeout | undefined;
        await Promise.race([
          calls.close().catch((e: Error) => logger.error('ending the calls at stop failed', { error: e.message })),
          new Promise<void>((resolve) => (bounded = setTimeout(() => {
            logger.warning('calls not ended in time; de-registering anyway', { budgetMs: callsBudget });
            resolve();
          }, callsBudget))),
        ]);
        clearTimeout(bounded);
        // de-register and remove the SAs while the bus still shows Registered going false
        await backend.close(Math.max(500, timeoutMs - 1000 - (Date.now() - t0))).catch((e: Error) => logger.error('de-registration at stop failed', { error: e.message }));
        closers.pop(); // backend.close done
        await dbus.close().catch((e: Error) => logger.error('releasing the bus name failed', { error: e.message }));
        await unwind();
        logger.notice('stopped', { ms: Date.now() - t0 });
      },
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}
