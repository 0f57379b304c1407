// dbus-interfaces/imsd-dbus.conf loaded by a real dbus-daemon that otherwise behaves like Debian's
// system bus: reads are open, state changes need root or the configured group, only root owns
// the names. Clients are dbus-send run (setpriv) as two throwaway system users created for the
// test and deleted afterwards, one of them in a throwaway group that the policy names. (dbus-daemon
// drops connections from a uid that has no passwd entry, so a bare unused uid cannot be used.)
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDbusService, type DbusService } from '../../../../daemon/dbus/backend.js';
import { readPolicy } from '../../../../daemon/dbus/policy.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import { command, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.js';
import { ScriptedBackend } from './helpers/scripted-backend.js';
import { ScriptedCallBackend } from './helpers/scripted-call-backend.js';

const run = promisify(execFile);

const IMSCTL = fileURLToPath(new URL('../../../../daemon/imsctl.ts', import.meta.url));
const idOf = async (user: string, flag: '-u' | '-g') => Number((await run('id', [flag, user])).stdout.trim());

describe('dbus: the policy file on a real dbus-daemon (system-bus defaults)', function () {
  this.timeout(30000);
  const group = `imsdt-${randomBytes(3).toString('hex')}`;
  const users = { out: `${group}-out`, in: `${group}-in` };
  const created: { users: string[]; group: boolean } = { users: [], group: false };
  const ids: Record<'out' | 'in', { uid: number; gid: number }> = { out: { uid: 0, gid: 0 }, in: { uid: 0, gid: 0 } };
  let bus: PrivateBus;
  let stateDir: string;
  let backend: ScriptedBackend;
  let service: DbusService;
  const calls = new ScriptedCallBackend();

  /** a command as one of the throwaway users; resolves to { ok, output } */
  const as = async (inGroup: boolean, cmd: string[]) => {
    const who = ids[inGroup ? 'in' : 'out'];
    try {
      const r = await run(
        'setpriv',
        [`--reuid=${who.uid}`, `--regid=${who.gid}`, '--init-groups', ...cmd],
        { env: { PATH: process.env.PATH, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, timeout: 10000 },
      );
      return { ok: true, output: r.stdout };
    } catch (e) {
      return { ok: false, output: String((e as { stderr?: string }).stderr ?? e) };
    }
  };
  const send = (inGroup: boolean, ...args: string[]) => as(inGroup, ['dbus-send', '--system', '--print-reply', ...args]);
  const imsctl = (inGroup: boolean, ...args: string[]) => as(inGroup, [process.execPath, '--import', 'tsx', IMSCTL, ...args]);
  const ims = (inGroup: boolean, member: string, ...args: string[]) =>
    send(inGroup, '--dest=org.ofono', '/imsd_0', `org.ofono.IpMultimediaSystem.${member}`, ...args);

  before(async function () {
    requirePrerequisites(this, [root(), command('dbus-daemon'), command('dbus-send'), command('setpriv'), command('useradd'), command('groupadd')]);
    await run('groupadd', ['--system', group]);
    created.group = true;
    for (const [key, name] of Object.entries(users) as ['out' | 'in', string][]) {
      await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...(key === 'in' ? ['-G', group] : []), name]);
      created.users.push(name);
      ids[key] = { uid: await idOf(name, '-u'), gid: await idOf(name, '-g') };
    }
    bus = await startPrivateBus({ 'imsd.conf': await readPolicy(group) });
    stateDir = await mkdtemp(join(tmpdir(), 'imsdt-state-'));
    backend = new ScriptedBackend('001010000000007');
    service = await startDbusService({ bus: bus.address, busName: 'org.ofono', modemPath: '/imsd_0', ims: backend, calls, stateDir, logger: silentLogger });
  });

  after(async () => {
    await service?.close();
    await bus?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    for (const name of created.users) await run('userdel', [name]).catch((e: unknown) => console.error(`userdel ${name}: ${String(e)}`));
    if (created.group) await run('groupdel', [group]);
  });

  it('root owns org.ofono (the service started); a non-root user may not own org.imsd or org.ofono', async () => {
    for (const name of ['org.imsd', 'org.ofono']) {
      const r = await send(true, '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.RequestName', `string:${name}`, 'uint32:4');
      assert.equal(r.ok, false, r.output);
      assert.match(r.output, /org\.freedesktop\.DBus\.Error\.AccessDenied/);
    }
  });

  it('a user outside the group reads (GetProperties, GetModems, Introspect) but is refused Register, Unregister and SetProperty', async () => {
    const props = await ims(false, 'GetProperties');
    assert.ok(props.ok, props.output);
    assert.match(props.output, /"Registration"\s+variant\s+string "auto"/);
    assert.ok((await send(false, '--dest=org.ofono', '/', 'org.ofono.Manager.GetModems')).ok);
    assert.ok((await send(false, '--dest=org.ofono', '/imsd_0', 'org.freedesktop.DBus.Introspectable.Introspect')).ok);
    backend.calls.length = 0;
    for (const r of [await ims(false, 'Register'), await ims(false, 'Unregister'), await ims(false, 'SetProperty', 'string:Registration', 'variant:string:disabled')]) {
      assert.equal(r.ok, false, r.output);
      assert.match(r.output, /org\.freedesktop\.DBus\.Error\.AccessDenied/);
    }
    assert.deepEqual(backend.calls, [], 'no refused call reached the backend');
    assert.equal(service.registrationSetting, 'auto');
  });

  it('a member of the configured group may Unregister, Register and set Registration', async () => {
    backend.calls.length = 0;
    assert.ok((await ims(true, 'Unregister')).ok);
    assert.ok((await ims(true, 'Register')).ok);
    assert.deepEqual(backend.calls, ['unregister', 'register']);
    assert.ok((await ims(true, 'SetProperty', 'string:Registration', 'variant:string:enabled')).ok);
    assert.equal(service.registrationSetting, 'enabled');
  });

  it('imsctl: status works for anyone; set-registration is refused (AccessDenied) outside the group and works inside it', async () => {
    const status = await imsctl(false, 'status');
    assert.ok(status.ok, status.output);
    assert.match(status.output, /modem \/imsd_0 on org\.ofono/);
    const refused = await imsctl(false, 'set-registration', 'disabled');
    assert.equal(refused.ok, false);
    assert.match(refused.output, /imsctl: org\.freedesktop\.DBus\.Error\.AccessDenied/);
    assert.notEqual(service.registrationSetting, 'disabled');
    const allowed = await imsctl(true, 'set-registration', 'disabled');
    assert.ok(allowed.ok, allowed.output);
    assert.equal(service.registrationSetting, 'disabled');
  });

  it('calls: anyone reads GetCalls and a call\'s GetProperties; Dial, Answer, Hangup, HangupAll and SendTones need the group', async () => {
    const vcm = (inGroup: boolean, member: string, ...args: string[]) => send(inGroup, '--dest=org.ofono', '/imsd_0', `org.ofono.VoiceCallManager.${member}`, ...args);
    const { id } = calls.incoming('+15550002');
    const list = await vcm(false, 'GetCalls');
    assert.ok(list.ok, list.output);
    const path = /object path "(\/imsd_0\/voicecall\d+)"/.exec(list.output)?.[1];
    assert.ok(path, list.output);
    assert.ok((await send(false, '--dest=org.ofono', path, 'org.ofono.VoiceCall.GetProperties')).ok);
    for (const r of [
      await vcm(false, 'Dial', 'string:+15559999', 'string:'),
      await vcm(false, 'HangupAll'),
      await vcm(false, 'SendTones', 'string:1'),
      await send(false, '--dest=org.ofono', path, 'org.ofono.VoiceCall.Answer'),
      await send(false, '--dest=org.ofono', path, 'org.ofono.VoiceCall.Hangup'),
    ]) {
      assert.equal(r.ok, false, r.output);
      assert.match(r.output, /org\.freedesktop\.DBus\.Error\.AccessDenied/);
    }
    assert.deepEqual(calls.ops, [], 'no refused call reached the backend');
    assert.ok((await send(true, '--dest=org.ofono', path, 'org.ofono.VoiceCall.Answer')).ok);
    assert.ok((await vcm(true, 'SendTones', 'string:1')).ok);
    assert.ok((await vcm(true, 'HangupAll')).ok);
    assert.deepEqual(calls.ops, [`answer ${id}`, 'sendTones 1', 'hangupAll']);
  });
});
