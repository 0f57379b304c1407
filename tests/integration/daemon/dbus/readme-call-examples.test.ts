// README.md's dbus-send examples for calls (between <!-- dbus-call-examples --> markers), run as a
// user would, in order, against imsd standalone on a private dbus-daemon with a scripted
// CallBackend that plays the network between the lines.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDbusService, type DbusService } from '../../../../daemon/dbus/backend.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.js';
import { ScriptedBackend } from './helpers/scripted-backend.js';
import { ScriptedCallBackend } from './helpers/scripted-call-backend.js';

const run = promisify(execFile);
const README = new URL('../../../../README.md', import.meta.url);

async function readmeCallCommands(): Promise<string[][]> {
  const m = /<!-- dbus-call-examples -->([\s\S]*?)<!-- \/dbus-call-examples -->/.exec(await readFile(README, 'utf8'));
  assert.ok(m, 'README.md has no dbus-call-examples block');
  return m[1]!.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('dbus-send ')).map((l) => l.split(/\s+/));
}

describe('README: the dbus-send call examples', function () {
  this.timeout(30000);
  let bus: PrivateBus;
  let stateDir: string;
  let service: DbusService;
  const calls = new ScriptedCallBackend();

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon'), command('dbus-send')]);
    bus = await startPrivateBus();
    stateDir = await mkdtemp(join(tmpdir(), 'imsdt-state-'));
    service = await startDbusService({ bus: bus.address, busName: 'org.ofono', modemPath: '/imsd_0', ims: new ScriptedBackend('001010123456789'), calls, stateDir, logger: silentLogger });
  });

  after(async () => {
    await service?.close();
    await bus?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('Dial, GetCalls, SendTones, Hangup, Answer and HangupAll work in the order written, each reaching the backend', async () => {
    const commands = await readmeCallCommands();
    const members = commands.map((c) => c.find((a) => /^org\.ofono\.\w+\.\w+$/.test(a))!.split('.').pop());
    for (const needed of ['Dial', 'GetCalls', 'Answer', 'Hangup', 'SendTones']) assert.ok(members.includes(needed), `README lacks ${needed}`);
    // the network between the lines: the far end answers before tones, a call comes in before Answer
    const network: Record<string, () => void> = {
      SendTones: () => calls.answered(calls.idIn('dialing')),
      Answer: () => void calls.incoming('+15550002'),
    };
    const outputs: string[] = [];
    for (const [cmd, ...args] of commands) {
      network[members[outputs.length]!]?.();
      const r = await run(cmd!, args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, timeout: 10000 });
      outputs.push(r.stdout);
    }
    assert.match(outputs[members.indexOf('Dial')]!, /object path "\/imsd_0\/voicecall01"/);
    assert.match(outputs[members.indexOf('GetCalls')]!, /object path "\/imsd_0\/voicecall01"[\s\S]*string "State"\s+variant\s+string "dialing"/);
    const [dialed, incoming] = ['c1', 'c2'];
    assert.deepEqual(calls.ops, ['dial +15559999 default', 'sendTones 1234#', `hangup ${dialed}`, `answer ${incoming}`, 'hangupAll']);
    assert.deepEqual(calls.calls, []);
  });
});
