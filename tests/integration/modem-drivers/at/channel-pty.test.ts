// The AT channel on a real pseudo-terminal (opened through npm serialport, as a modem device is)
// against the scripted modem.
import assert from 'node:assert/strict';
import { openSerialChannel } from '../../../../modem-drivers/at/serial.js';
import type { AtStreamChannel } from '../../../../modem-drivers/at/channel.js';
import { AtError, AtTimeoutError } from '../../../../modem-drivers/at/types.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';

describe('modem-drivers/at AtStreamChannel on a pty (scripted modem)', () => {
  let modem: ScriptedModem | undefined;
  let ch: AtStreamChannel | undefined;
  afterEach(async () => {
    await ch?.close();
    await modem?.stop();
    ch = undefined;
    modem = undefined;
  });

  it('echo, URCs inside a response, +CME ERROR, noise, a timeout and a hang-up', async function () {
    requirePrerequisites(this, [command('python3')]);
    modem = await ScriptedModem.start('channel-basics.at');
    ch = await openSerialChannel({ device: modem.device, timeoutMs: 1000 });
    const urcs: string[] = [];
    ch.on('urc', (l) => urcs.push(l));
    let closed = '';
    ch.on('closed', (r) => (closed = r));

    assert.equal((await ch.command('AT')).final.kind, 'ok');
    assert.deepEqual(await ch.command('AT+CGACT?'), { lines: ['+CGACT: 1,1', '+CGACT: 2,0'], final: { kind: 'ok' } });
    assert.deepEqual(urcs, ['+CGEV: NW ACT 1,2,1']);
    assert.deepEqual((await ch.command('AT+CGACT=1,3')).final, { kind: 'cme-error', code: 30 });
    assert.deepEqual((await ch.command('AT+CPIN?')).lines, ['+CPIN: READY']);
    await assert.rejects(ch.command('AT+CGACT=1,1', { timeoutMs: 300 }), AtTimeoutError);
    assert.deepEqual((await ch.command('AT+CGCONTRDP=1')).lines, ['+CGCONTRDP: 1,5,"ims","10.45.0.2.255.255.255.0"']);

    const pending = ch.command('AT+CGACT?');
    modem.cue('gone');
    await assert.rejects(pending, (e: unknown) => e instanceof AtError && /closed/.test(e.message));
    await modem.finished();
    assert.deepEqual(urcs, ['+CGEV: NW ACT 1,2,1', '+CGEV: NW PDN DEACT 1']);
    assert.match(closed, /closed|error|end of file/);
    assert.deepEqual(modem.mismatches, [], 'the host sent what the transcript expects');
  });
});
