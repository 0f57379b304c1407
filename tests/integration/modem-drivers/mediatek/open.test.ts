// How the daemon gets a MediaTek driver: from the configuration (Modem=mediatek, [Modem] Device) to a
// started driver on a pty, and an AT channel over a Unix socket (an ATCI bridge).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../../daemon/config/load.js';
import { openDriver } from '../../../../daemon/composition/driver.js';
import { createLogger } from '../../../../daemon/log/logger.js';
import type { ModemDriver } from '../../../../modem-drivers/driver.js';
import { openMediatekChannel } from '../../../../modem-drivers/mediatek/open.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';

const SIM = '[Sim]\nSource=soft\nImsi=001010000000001\nKi=465b5ce8b199b49faa5f0a2ee238a6bc\nOpc=cd63cb71954a9f4e48a5994e37a02baf\n';

describe('modem-drivers/mediatek opening the device', function () {
  this.timeout(10000);
  let modem: ScriptedModem | undefined;
  let driver: ModemDriver | undefined;
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await driver?.close();
    await modem?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    driver = modem = server = dir = undefined;
  });

  it('Modem=mediatek in the configuration gives a started driver on the configured device', async function () {
    requirePrerequisites(this, [command('python3')]);
    modem = await ScriptedModem.start('mediatek/start-imsd.at');
    const c = parseConfig('imsd.conf', `[General]\nModem=mediatek\n${SIM}[Modem]\nDevice=${modem.device}\n`);
    driver = await openDriver(c, createLogger({ level: 'emerg' }));
    assert.equal(driver.name, 'mediatek');
    await modem.finished();
    assert.deepEqual(modem.mismatches, []);
    assert.deepEqual(driver.capabilities, { modemRtp: false, bearerEvents: true });
  });

  it('a device that does not exist is a clear error', async () => {
    const c = parseConfig('imsd.conf', `[General]\nModem=mediatek\n${SIM}[Modem]\nDevice=/nonexistent/atci\n`);
    await assert.rejects(openDriver(c, createLogger({ level: 'emerg' })), /cannot open \/nonexistent\/atci/);
  });

  it('speaks AT over a Unix socket (an ATCI bridge), MediaTek URCs included; +CEREG is a URC outside AT+CEREG? and its answer inside', async () => {
    dir = mkdtempSync(join(tmpdir(), 'imsdt-mtk-'));
    const path = join(dir, 'atci');
    const peer: { socket?: Socket } = {};
    server = createServer((s) => {
      peer.socket = s;
      s.on('data', (d) => {
        if (d.toString() === 'AT+EPDN=1,"ifst",4\r') s.write('\r\n+EIMSPDN: "init"\r\n\r\n+EPDN: 1, "update", 0, 1, "10.45.0.2"\r\n\r\nOK\r\n');
        // 27.007 10.1.22: the read form answers the command, a URC form outside any command
        if (d.toString() === 'AT+CEREG?\r') s.write('\r\n+CEREG: 2,1,"0001","00019B01",7\r\n\r\nOK\r\n\r\n+CEREG: 1,"0001","00019C01",7\r\n');
      });
    });
    await new Promise<void>((r) => server!.listen(path, r));
    const ch = await openMediatekChannel({ device: path, timeoutMs: 1000 });
    const urcs: string[] = [];
    ch.on('urc', (l) => urcs.push(l));
    assert.deepEqual(await ch.command('AT+EPDN=1,"ifst",4'), { lines: ['+EPDN: 1, "update", 0, 1, "10.45.0.2"'], final: { kind: 'ok' } });
    assert.deepEqual(urcs, ['+EIMSPDN: "init"']);
    assert.deepEqual(await ch.command('AT+CEREG?'), { lines: ['+CEREG: 2,1,"0001","00019B01",7'], final: { kind: 'ok' } });
    for (let i = 0; i < 100 && urcs.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(urcs, ['+EIMSPDN: "init"', '+CEREG: 1,"0001","00019C01",7']);
    await ch.close();
    peer.socket?.destroy();
  });
});
