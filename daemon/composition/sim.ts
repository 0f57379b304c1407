// Opening the SIM the configuration names: the soft SIM (its SQN array in the state directory), a
// card through pcscd, or the card in the AT modem. The PC/SC module (a native binding) and the AT
// modules are loaded only when they are used.
import { join } from 'node:path';
import type { SimCard } from '../auth/sim/sim-card.js';
import { SoftSim } from '../auth/sim/soft-sim.js';
import type { ImsdConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';

export async function openSim(c: ImsdConfig, logger: Logger): Promise<SimCard> {
  const s = c.sim;
  if (s.source === 'soft') {
    return SoftSim.open({
      imsi: s.imsi!,
      mncLength: s.mncLength,
      k: s.ki!,
      ...(s.opc ? { opc: s.opc } : { op: s.op! }),
      ...(s.amf ? { amf: s.amf } : {}),
      ...(c.ims.impi ? { impi: c.ims.impi } : {}),
      ...(c.ims.impu ? { impus: [c.ims.impu] } : {}),
      ...(c.ims.domain ? { homeDomain: c.ims.domain } : {}),
      stateFile: join(c.general.stateDir, `sqn-${s.imsi!}.json`),
      logger: logger.child('sim'),
    });
  }
  if (s.source === 'pcsc') {
    const { PcscSim } = await import('../auth/sim/pcsc-sim.js');
    return PcscSim.open(s.reader !== undefined ? { reader: s.reader } : {});
  }
  if (s.source === 'modem') {
    // schema.ts allows Source=modem only with Modem=at, whose driver is opened first
    const { atDriverOn } = await import('../../modem-drivers/at/open.js');
    const { AtSim } = await import('../../modem-drivers/at/sim.js');
    const driver = c.modem.device !== undefined ? atDriverOn(c.modem.device) : undefined;
    if (!driver) throw new Error('Source=modem needs the AT modem driver to be open first (Modem=at)');
    return AtSim.open({ channel: () => driver.channel, name: `modem ${c.modem.device}`, logger });
  }
  throw new Error(`SIM source ${s.source} is not available`);
}
