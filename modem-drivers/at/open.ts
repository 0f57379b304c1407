// Opening the AT driver on a device for the daemon, and finding it again for the SIM over AT
// ([Sim] Source=modem shares the driver's channel: a modem port is opened once, exclusively).
import type { Logger } from '../../daemon/log/logger.js';
import { AtDriver } from './driver.js';
import { openSerialChannel } from './serial.js';

export interface AtModemConfig {
  device: string;
  baud: number;
  interface: string;
  apn: string;
  contextId: number;
}

const open = new Map<string, AtDriver>();

export async function openAtDriver(c: AtModemConfig, logger: Logger): Promise<AtDriver> {
  const d = await AtDriver.open({
    // a function: a USB modem that re-enumerates after a reset is opened again
    channel: () => openSerialChannel({ device: c.device, baudRate: c.baud, logger }),
    interface: c.interface,
    apn: c.apn,
    cid: c.contextId,
    logger,
  });
  open.set(c.device, d);
  return d;
}

/** the driver open on `device`, if any */
export function atDriverOn(device: string): AtDriver | undefined {
  const d = open.get(device);
  if (d?.closed) {
    open.delete(device);
    return undefined;
  }
  return d;
}
