// imsctl against imsd's D-Bus service (companion mode, org.imsd) on a private dbus-daemon.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import sinon from 'sinon';
import { fileURLToPath } from 'node:url';
import { startDbusService, type DbusService } from '../../../daemon/dbus/backend.js';
import { main } from '../../../daemon/imsctl.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { command, requirePrerequisites } from '../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './dbus/helpers/private-bus.js';
import { ScriptedBackend } from './dbus/helpers/scripted-backend.js';
import { ScriptedCallBackend } from './dbus/helpers/scripted-call-backend.js';

const IMSCTL = fileURLToPath(new URL('../../../daemon/imsctl.ts', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('imsctl over D-Bus (companion mode on a private dbus-daemon)', function () {
  this.timeout(30000);
  let bus: PrivateBus;
  let stateDir: string;
  let backend: ScriptedBackend;
  let service: DbusService;
  let calls: ScriptedCallBackend;

  const env = () => ({ ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address });
  const imsctl = (...args: string[]) =>
    new Promise<Result>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', IMSCTL, ...args], { env: env(), timeout: 15000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  // the call commands run imsctl's main() in this process (tsx start-up costs ~0.5 s a run);
  // the commands above and monitor run it as the real command
  const imsctlIn = async (...args: string[]): Promise<Result> => {
    const captured = { stdout: '', stderr: '' };
    const outStub = sinon.stub(process.stdout, 'write').callsFake((chunk: string | Uint8Array) => ((captured.stdout += String(chunk)), true));
    const errStub = sinon.stub(process.stderr, 'write').callsFake((chunk: string | Uint8Array) => ((captured.stderr += String(chunk)), true));
    try {
      const code = await main(['--bus', bus.address, ...args]);
      return { code, ...captured };
    } finally {
      outStub.restore();
      errStub.restore();
    }
  };

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon')]);
    bus = await startPrivateBus();
    stateDir = await mkdtemp(join(tmpdir(), 'imsdt-state-'));
    backend = new ScriptedBackend('001010000000042');
    calls = new ScriptedCallBackend();
    service = await startDbusService({ bus: bus.address, busName: 'org.imsd', modemPath: '/ril_0', ims: backend, calls, stateDir, logger: silentLogger });
  });

  afterEach(() => {
    for (const c of calls.calls) calls.end(c.id, 'local');
    calls.ops.length = 0;
  });

  after(async () => {
    await service?.close();
    await bus?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('status finds the modem under org.imsd and prints the IMS properties', async () => {
    const r = await imsctl('status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^modem \/ril_0 on org\.imsd$/m);
    assert.match(r.stdout, /Registered = yes/);
    assert.match(r.stdout, /Registration = auto/);
    assert.match(r.stdout, /VoiceCapable = unknown/);
  });

  it('set-registration disabled de-registers; register is then refused with NotAllowed; enabled registers again', async () => {
    assert.equal((await imsctl('set-registration', 'disabled')).code, 0);
    assert.equal(backend.registered, false);
    const refused = await imsctl('register');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /org\.ofono\.Error\.NotAllowed/);
    assert.equal((await imsctl('set-registration', 'enabled')).code, 0);
    assert.equal(backend.registered, true);
    assert.equal((await imsctl('unregister')).code, 0);
    assert.equal(backend.registered, false);
    assert.equal((await imsctl('register')).code, 0);
    assert.equal(backend.registered, true);
    assert.equal(service.registrationSetting, 'enabled');
  });

  it('a bad setting and an unknown command are usage errors (exit 2)', async () => {
    assert.equal((await imsctl('set-registration', 'sometimes')).code, 2);
    assert.equal((await imsctl('frobnicate')).code, 2);
  });

  it('calls prints "no calls" when there are none', async () => {
    const r = await imsctl('calls');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'no calls');
  });

  /** runs `imsctl monitor` for the test; `got(re)` waits for a line matching re */
  async function withMonitor(test: (got: (re: RegExp) => Promise<void>) => Promise<void>): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', IMSCTL, 'monitor'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const seen: string[] = [];
      lines.on('line', (l) => seen.push(l));
      const got = (re: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`not seen: ${re}; got ${JSON.stringify(seen)}`)), 15000);
          const check = () => {
            if (seen.some((l) => re.test(l))) {
              clearTimeout(t);
              lines.off('line', check);
              resolve();
            }
          };
          lines.on('line', check);
          check();
        });
      await got(/^monitoring org\.imsd \/ril_0$/);
      await test(got);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }

  it('monitor prints PropertyChanged signals as they come', async () => {
    await withMonitor(async (got) => {
      const changed = got(/^\/ril_0 IpMultimediaSystem\.PropertyChanged VoiceCapable yes$/);
      backend.set({ voiceCapable: true });
      await changed;
    });
  });

  it('monitor prints the call signals: CallAdded, PropertyChanged, DisconnectReason, CallRemoved', async () => {
    await withMonitor(async (got) => {
      const { id } = calls.incoming('+15550002', 'Alice');
      await got(/^\/ril_0 VoiceCallManager\.CallAdded \/ril_0\/voicecall\d+ \{.*State=incoming.*\}$/);
      calls.answered(id);
      await got(/^\/ril_0\/voicecall\d+ VoiceCall\.PropertyChanged State active$/);
      calls.end(id, 'remote');
      await got(/^\/ril_0\/voicecall\d+ VoiceCall\.DisconnectReason remote$/);
      await got(/^\/ril_0\/voicecall\d+ VoiceCall\.PropertyChanged State disconnected$/);
      await got(/^\/ril_0 VoiceCallManager\.CallRemoved \/ril_0\/voicecall\d+$/);
    });
  });

  it('dial prints the new call\'s path; calls lists it; hangup CALL ends it', async () => {
    let r = await imsctl('dial', '+15559999'); // once as the real command
    assert.equal(r.code, 0, r.stderr);
    const path = r.stdout.trim();
    assert.match(path, /^\/ril_0\/voicecall\d+$/);
    r = await imsctlIn('calls');
    assert.equal(r.stdout.trim(), `${path} dialing +15559999`);
    calls.answered(calls.idIn('dialing'));
    r = await imsctlIn('calls');
    assert.match(r.stdout, new RegExp(`^${path} active \\+15559999 since \\d{4}-\\d\\d-\\d\\dT[0-9:]{8}[+-]\\d{4}$`, 'm'));
    r = await imsctlIn('hangup', path.split('/').pop()!);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await imsctlIn('dial', '+15559998', 'enabled')).code, 0);
    assert.deepEqual(calls.ops, ['dial +15559999 default', `hangup ${calls.ops[1]!.split(' ')[1]!}`, 'dial +15559998 enabled']);
    assert.match(calls.ops[1]!, /^hangup c\d+$/);
  });

  it('answer without a path answers the incoming call, or the waiting one with HoldAndAnswer; hangup without a path is HangupAll', async () => {
    const first = calls.incoming('+15550002', 'Alice');
    let r = await imsctlIn('answer');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^answered \/ril_0\/voicecall\d+$/m);
    const second = calls.incoming('+15550003');
    r = await imsctlIn('calls');
    assert.match(r.stdout, /active \+15550002 "Alice" since/);
    assert.match(r.stdout, /waiting \+15550003$/m);
    r = await imsctlIn('answer');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(the active call is held\)/);
    assert.deepEqual([calls.call(first.id).state, calls.call(second.id).state], ['held', 'active']);
    r = await imsctlIn('hangup');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls.calls, []);
    assert.deepEqual(calls.ops, [`answer ${first.id}`, 'holdAndAnswer', 'hangupAll']);
    r = await imsctlIn('answer');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no incoming or waiting call/);
  });

  it('answer CALL and tones DIGITS reach the backend; oFono refusals exit 1 with the error name', async () => {
    calls.incoming('+15550002');
    const path = (await imsctlIn('calls')).stdout.split(' ')[0]!;
    let r = await imsctlIn('tones', '123#');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /org\.ofono\.Error\.Failed/);
    r = await imsctlIn('answer', path);
    assert.equal(r.code, 0, r.stderr);
    r = await imsctlIn('tones', '123#');
    assert.equal(r.code, 0, r.stderr);
    r = await imsctlIn('answer', path);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /org\.ofono\.Error\.Failed/);
    r = await imsctlIn('dial', '112');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /org\.ofono\.Error\.NotImplemented/);
    assert.deepEqual(calls.ops.filter((o) => !o.startsWith('answer')), ['sendTones 123#', 'dial 112 default']);
  });

  it('bad call arguments are usage errors (exit 2) and reach nothing', async () => {
    for (const args of [['dial'], ['dial', '555-9999'], ['dial', '+15559999', 'hidden'], ['dial', '+1', 'enabled', 'x'], ['tones'], ['tones', '12E'], ['answer', 'not a path'], ['hangup', '/a', '/b'], ['calls', 'all']]) {
      const r = await imsctlIn(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^imsctl: .+\nusage: imsctl/, args.join(' '));
    }
    assert.deepEqual(calls.ops, []);
  });

  it('--help lists the call commands', async () => {
    const r = await imsctl('--help');
    assert.equal(r.code, 0);
    for (const c of ['dial NUMBER', 'answer [CALL]', 'hangup [CALL]', 'tones DIGITS', 'calls', 'monitor']) assert.ok(r.stdout.includes(c), c);
  });
});
