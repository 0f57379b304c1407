// Opening the SIM the configuration names: the soft SIM (its SQN array in the state directory) or
// a card through pcscd. The PC/SC module (a native binding) is loaded only when it is used.
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
  // schema.ts refuses Source=modem before we get here
  throw new Error(`SIM source ${s.source} is not available`);
}
