// Which ModemDriver the daemon runs, from [General] Modem. Each driver module is loaded only when
// configured, so a desktop never loads serial-port code.
import type { ImsdConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { ModemDriver } from '../../modem-drivers/driver.js';
import { SimulatedDriver } from '../../modem-drivers/simulated/simulated-driver.js';
import { interfaceAddresses } from './pdn-interface.js';

/** how long imsd waits at start for oFono to list a modem whose path it can serve at */
const OFONO_MODEM_WAIT_MS = 10_000;

export async function openDriver(c: ImsdConfig, logger: Logger): Promise<ModemDriver> {
  switch (c.general.modem) {
    case 'simulated':
      return new SimulatedDriver({
        interface: c.ims.interface!,
        addresses: interfaceAddresses(c.ims.interface!),
        pcscf: c.ims.pcscf ?? [],
        ...(c.modem.apRtp ? { rtp: { logger: logger.child('media') } } : {}),
      });
    case 'ofono': {
      const { OfonoDriver } = await import('../../modem-drivers/ofono/ofono-driver.js');
      // activateImsPdn() waits for oFono and its modem as long as it takes (a refusal would only be
      // retried after the registration's back-off)
      const driver = await OfonoDriver.open({ bus: c.general.bus, ...(c.ofono?.modemPath ? { modemPath: c.ofono.modemPath } : {}), activateTimeoutMs: Infinity, logger });
      // companion mode: imsd's IpMultimediaSystem sits at the path of the oFono modem it serves;
      // at boot oFono may list the modem a little after imsd starts
      if (!c.ofono?.modemPath) {
        const path = await driver.waitForModem(OFONO_MODEM_WAIT_MS);
        if (path) c.general.modemPath = path;
        else logger.warning('no oFono modem at start: serving at the default path', { modemPath: c.general.modemPath, waitedMs: OFONO_MODEM_WAIT_MS });
      }
      return driver;
    }
    case 'at': {
      const { openAtDriver } = await import('../../modem-drivers/at/open.js');
      const m = c.modem;
      return openAtDriver({ device: m.device!, baud: m.baud, interface: m.interface!, apn: m.apn, contextId: m.contextId }, logger);
    }
    case 'mediatek': {
      const { MediatekDriver } = await import('../../modem-drivers/mediatek/driver.js');
      const { openMediatekChannel } = await import('../../modem-drivers/mediatek/open.js');
      const log = logger.child('modem');
      const device = c.modem.device!;
      const driver = new MediatekDriver({ open: () => openMediatekChannel({ device, logger: log }), mode: c.modem.mode, apn: c.modem.apn, modemRtp: c.modem.modemRtp, logger: log });
      try {
        await driver.start();
      } catch (e) {
        await driver.close();
        throw e;
      }
      return driver;
    }
    default:
      // schema.ts refuses the other kinds as "not available yet" before we get here
      logger.error('modem driver not available', { modem: c.general.modem });
      throw new Error(`Modem=${c.general.modem} is not available in this version of imsd`);
  }
}
