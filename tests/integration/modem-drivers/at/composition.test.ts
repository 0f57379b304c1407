// Modem=at and Source=modem from a configuration file to working objects: the daemon's
// composition opens the AT driver on the (scripted) modem's pty and the SIM over the same port.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDriver } from '../../../../daemon/composition/driver.js';
import { openSim } from '../../../../daemon/composition/sim.js';
import { parseConfig } from '../../../../daemon/config/load.js';
import { SoftSim } from '../../../../daemon/auth/sim/soft-sim.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import type { ModemDriver } from '../../../../modem-drivers/driver.js';
import type { SimCard } from '../../../../daemon/auth/sim/sim-card.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';
import { UiccService } from '../../../helpers/scripted-modem/uicc-service.js';

describe('modem-drivers/at in the daemon composition (Modem=at, Source=modem)', function () {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('opens the driver and the SIM on one AT port and brings the IMS PDN up', async function () {
    requirePrerequisites(this, [command('python3')]);
    const dir = mkdtempSync(join(tmpdir(), 'imsdt-atcomp-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const card = { imsi: '001010000000001', mncLength: 2 };
    const engine = await SoftSim.open({ ...card, k: '465b5ce8b199b49faa5f0a2ee238a6bc', opc: 'cd63cb71954a9f4e48a5994e37a02baf', stateFile: join(dir, 'sqn.json') });
    closers.push(() => engine.close());
    const modem = await ScriptedModem.start('daemon.at', { services: [new UiccService(card, engine)] });
    closers.push(() => modem.stop());
    const c = parseConfig('test.conf', `[General]\nModem=at\nStateDir=${dir}\n[Sim]\nSource=modem\n[Modem]\nDevice=${modem.device}\nInterface=wwan%d\n`);
    const driver: ModemDriver = await openDriver(c, silentLogger);
    closers.push(() => driver.close());
    const sim: SimCard = await openSim(c, silentLogger);
    closers.push(() => sim.close());
    assert.equal(driver.name, 'at');
    assert.equal((await sim.identities()).impi, '001010000000001@ims.mnc001.mcc001.3gppnetwork.org');
    const pdn = await driver.activateImsPdn();
    assert.deepEqual(pdn.pcscf, ['10.45.0.1', '10.45.0.9', 'fd00:45::1']);
    assert.equal(pdn.interface, 'wwan1');
    await modem.finished();
    assert.deepEqual(modem.mismatches, []);
  });
});
