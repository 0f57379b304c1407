// imsctl against imsd's D-Bus service (companion mode, org.imsd) on a private dbus-daemon.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDbusService, type DbusService } from '../../../daemon/dbus/backend.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { command, requirePrerequisites } from '../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './dbus/helpers/private-bus.js';
import { ScriptedBackend } from './dbus/helpers/scripted-backend.js';

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

  const env = () => ({ ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address });
  const imsctl = (...args: string[]) =>
    new Promise<Result>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', IMSCTL, ...args], { env: env(), timeout: 15000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon')]);
    bus = await startPrivateBus();
    stateDir = await mkdtemp(join(tmpdir(), 'imsdt-state-'));
    backend = new ScriptedBackend('001010000000042');
    service = await startDbusService({ bus: bus.address, busName: 'org.imsd', modemPath: '/ril_0', ims: backend, stateDir, logger: silentLogger });
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

  it('monitor prints PropertyChanged signals as they come', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', IMSCTL, 'monitor'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const seen: string[] = [];
      const got = (re: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`not seen: ${re}; got ${JSON.stringify(seen)}`)), 15000);
          const check = (l: string) => {
            seen.push(l);
            if (re.test(l)) {
              clearTimeout(t);
              lines.off('line', check);
              resolve();
            }
          };
          lines.on('line', check);
        });
      await got(/^monitoring org\.imsd \/ril_0$/);
      const changed = got(/^\/ril_0 IpMultimediaSystem\.PropertyChanged VoiceCapable yes$/);
      backend.set({ voiceCapable: true });
      await changed;
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
