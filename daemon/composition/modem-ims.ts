// The composition for Modem=mediatek, Mode=modem-ims: MediaTek's own IMS stack registers and
// carries the calls, so there is no SIM authentication, IPsec or SIP socket in imsd; the driver's
// +CIREGU and +ECPI/+EAIC are put behind IpMultimediaSystem and VoiceCallManager
// (modem-ims-backend.ts, modem-ims-calls-backend.ts). stop() hangs the calls up, releases the bus
// name and closes the driver; the modem's IMS switch is left as the user's Registration set it.
import type { ImsdConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { MediatekDriver } from '../../modem-drivers/mediatek/driver.js';
import { EMERGENCY_NUMBERS } from './call-backend.js';
import { serveOnDbus, USER_AGENT, type Imsd } from './daemon.js';
import { openDriver } from './driver.js';
import { ModemImsBackend } from './modem-ims-backend.js';
import { ModemImsCallsBackend } from './modem-ims-calls-backend.js';

/** the IMSI for the remembered Registration setting: [Sim] Imsi when given, else the modem's AT+CIMI */
async function imsiOf(c: ImsdConfig, driver: MediatekDriver, logger: Logger): Promise<string | undefined> {
  if (c.sim.source === 'soft' && c.sim.imsi) return c.sim.imsi;
  try {
    return await driver.readImsi();
  } catch (e) {
    logger.warning('the modem gave no IMSI: the Registration setting is not remembered for this SIM', { error: (e as Error).message });
    return undefined;
  }
}

export async function startModemImsd(c: ImsdConfig, logger: Logger): Promise<Imsd> {
  const driver = (await openDriver(c, logger)) as MediatekDriver;
  let backend: ModemImsBackend | undefined;
  let calls: ModemImsCallsBackend | undefined;
  try {
    const imsi = await imsiOf(c, driver, logger);
    logger.notice('modem IMS mode: the modem registers and carries the calls', { device: c.modem.device });
    backend = new ModemImsBackend({ driver, imsi, logger: logger.child('ims') });
    calls = new ModemImsCallsBackend({ driver, emergencyNumbers: EMERGENCY_NUMBERS, logger: logger.child('calls') });
    const dbus = await serveOnDbus(c, logger, backend, calls, { Name: 'MediaTek modem (modem IMS)', Manufacturer: 'MediaTek', Model: 'modem-ims', Revision: USER_AGENT });
    const [b, k] = [backend, calls];
    return {
      backend: b,
      calls: k,
      dbus,
      async stop(timeoutMs: number): Promise<void> {
        const t0 = Date.now();
        // the calls end first (ATH) and their CallRemoved signals still go out on the bus
        await k.close(Math.min(1500, Math.floor(timeoutMs / 3))).catch((e: Error) => logger.error('ending the calls at stop failed', { error: e.message }));
        b.close();
        await dbus.close().catch((e: Error) => logger.error('releasing the bus name failed', { error: e.message }));
        await driver.close().catch((e: Error) => logger.error('closing the modem failed', { error: e.message }));
        logger.notice('stopped', { ms: Date.now() - t0 });
      },
    };
  } catch (e) {
    backend?.close();
    await calls?.close(0).catch(() => undefined);
    await driver.close().catch((x: Error) => logger.warning('clean-up step failed', { error: x.message }));
    throw e;
  }
}
