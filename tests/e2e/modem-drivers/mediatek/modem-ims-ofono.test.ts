// imsd as a process with Modem=mediatek, Mode=modem-ims, standalone (it owns org.ofono) on a private
// dbus-daemon, its [Modem] Device a pseudo-terminal played by a scripted MediaTek modem
// (tests/fixtures/modems/mediatek/modem-ims-ofono.at, modem-ims-sigterm.at), driven by oFono's own
// scripts (Debian ofono-scripts). What runs for real: dbus-daemon, the imsd process (config,
// composition, the mediatek driver on the pty, the D-Bus service) and the oFono scripts; the modem
// is the transcript. No SIM keys, IPsec or SIP socket are involved: the modem is the IMS client.
import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, file, requirePrerequisites } from '../../../helpers/prereq.js';
import { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';
import { startPrivateBus, type PrivateBus } from '../../../integration/daemon/dbus/helpers/private-bus.js';
import { CallWatch, nowMs } from '../../daemon/main/call-watch.js';
import { imsProperties, nameHasOwner, REPO, waitUntil } from '../../daemon/main/imsd-process.js';

const SCRIPTS = '/usr/share/ofono/scripts';
const USED = ['list-modems', 'ims-register', 'ims-unregister', 'dial-number', 'list-calls', 'hangup-all', 'answer-calls'];
const MODEM = '/imsd_0';
const IMSI = '001010000000001';

describe('modem-drivers/mediatek: imsd with Mode=modem-ims on a scripted modem, driven by oFono\'s scripts', function () {
  this.timeout(60_000);
  let bus: PrivateBus;
  let dir: string;
  let modem: ScriptedModem | undefined;
  let imsd: ChildProcess | undefined;
  let watch: CallWatch | undefined;
  const log: string[] = [];

  // asynchronously: the scripted modem answers from this process's event loop while the script runs
  const script = async (name: string, ...args: string[]): Promise<string> => {
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(join(SCRIPTS, name), args, { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, encoding: 'utf8', timeout: 20_000 }, (e, stdout, stderr) =>
        resolve({ status: e ? ((e as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}\nmodem commands: ${modem?.commands.join(' | ')}\nmismatches: ${modem?.mismatches.join(' | ')}\nimsd's log:\n${log.slice(-30).join('')}`);
    return r.stdout;
  };
  const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> =>
    waitUntil(what, async () => cond(), ms).catch((e: Error) => {
      throw new Error(`${e.message}\nmodem commands: ${modem?.commands.join(' | ')}\nimsd's log:\n${log.slice(-30).join('')}`);
    });
  const props = (): Promise<Record<string, string>> => imsProperties(bus.address, 'org.ofono', MODEM);

  const startImsd = async (transcript: string): Promise<ChildProcess> => {
    modem = await ScriptedModem.start(`mediatek/${transcript}`);
    const conf = join(dir, 'imsd.conf');
    // no [Sim]: the modem's own SIM (IMSI by AT+CIMI), no keys
    writeFileSync(conf, `[General]\nBus=${bus.address}\nBusName=org.ofono\nModem=mediatek\nStateDir=${join(dir, 'state')}\n[Modem]\nDevice=${modem.device}\nMode=modem-ims\n[Log]\nLevel=debug\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'daemon/main.ts', '--foreground', '--config', conf], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    imsd = child;
    await until('imsd serving on D-Bus', () => log.join('').includes('serving on D-Bus'), 20_000);
    watch = await CallWatch.open(bus.address, 'org.ofono', MODEM);
    return child;
  };

  const stopped = async (child: ChildProcess): Promise<number | null> => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  };

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon'), command('dbus-send'), command('python3'), file('/usr/lib/python3/dist-packages/dbus'), ...USED.map((s) => file(join(SCRIPTS, s)))]);
    bus = await startPrivateBus();
    dir = await mkdtemp(join(tmpdir(), 'imsdt-mtk-ims-'));
  });

  afterEach(async () => {
    await watch?.close();
    watch = undefined;
    if (imsd && imsd.exitCode === null && imsd.signalCode === null) {
      const exited = new Promise((r) => imsd!.once('exit', r));
      imsd.kill('SIGKILL');
      await exited;
    }
    imsd = undefined;
    await modem?.stop();
    modem = undefined;
    log.length = 0;
  });

  after(async () => {
    await bus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('list-modems, ims-unregister/ims-register, an MO call to hangup-all and an MT call answered then ended by the far end', async () => {
    const child = await startImsd('modem-ims-ofono.at');
    const m = modem!;
    const w = watch!;

    // +CIREGU: 1,5 → Registered, VoiceCapable (bit 1), SmsCapable (bit 4)
    m.cue('registered');
    await until('Registered = true', async () => (await props()).Registered === 'true');
    let out = await script('list-modems');
    assert.match(out, /\[ \/imsd_0 \]/);
    assert.match(out, /Interfaces = .*org\.ofono\.IpMultimediaSystem/);
    assert.match(out, /\[ org\.ofono\.IpMultimediaSystem \][\s\S]*Registered = 1/);
    assert.match(out, /VoiceCapable = 1/);
    assert.match(out, /SmsCapable = 1/);
    assert.ok(m.commands.includes('AT+CIMI'));

    // ims-unregister → AT+EIMS=0, then +CIREGU: 0; ims-register → AT+EIMSVOLTE=1, AT+EIMS=1
    await script('ims-unregister');
    await until('Registered = false', async () => (await props()).Registered === 'false');
    await script('ims-register');
    await until('Registered = true again', async () => (await props()).Registered === 'true');
    assert.deepEqual(m.commands.slice(-3), ['AT+EIMS=0', 'AT+EIMSVOLTE=1', 'AT+EIMS=1']);

    // MO call: dial-number → ATD…; dialing → alerting → active on +ECPI
    let mark = w.mark();
    const t0 = nowMs();
    out = await script('dial-number', '+15559999');
    const path = /^(\/imsd_0\/voicecall\d+)$/m.exec(out)?.[1];
    assert.ok(path, out);
    assert.ok(m.commands.includes('ATD+15559999;'));
    console.log(`      dial-number run (python start, Dial, ATD on the pty, OK, +ECPI 130, the call's path back): ${(nowMs() - t0).toFixed(0)} ms`);
    const added = await w.callAdded(mark);
    assert.equal(added.body[0], path);
    out = await script('list-calls');
    assert.match(out, /State = dialing/);
    assert.match(out, /LineIdentification = \+15559999/);
    m.cue('alerting');
    await w.property(path, 'State', 'alerting', mark);
    m.cue('answered');
    await w.property(path, 'State', 'active', mark);
    out = await script('list-calls');
    assert.match(out, new RegExp(`\\[ ${path} \\]`));
    assert.match(out, /State = active/);
    assert.match(out, /StartTime = /);

    // hangup-all → ATH; +ECPI 133 → CallRemoved, DisconnectReason local
    await script('hangup-all');
    await w.callRemoved(path, mark);
    assert.equal(m.commands.at(-1), 'ATH');
    assert.deepEqual(w.signals.slice(mark).filter((s) => s.member === 'DisconnectReason').map((s) => s.body[0]), ['local']);
    assert.equal(await script('list-calls'), '[ /imsd_0 ]\n');

    // MT call: +EAIC → AT+EAIC=0 (approval), +ECPI 0 → CallAdded incoming; answer-calls → ATA; far end releases
    mark = w.mark();
    m.cue('incoming');
    const mt = await w.callAdded(mark);
    const mtPath = mt.body[0] as string;
    assert.ok(m.commands.includes('AT+EAIC=0,2,7'));
    out = await script('list-calls');
    assert.match(out, /State = incoming/);
    assert.match(out, /LineIdentification = \+15551234/);
    out = await script('answer-calls');
    assert.match(out, new RegExp(`\\[ ${mtPath} \\] incoming`));
    assert.equal(m.commands.at(-1), 'ATA');
    await w.property(mtPath, 'State', 'active', mark);
    m.cue('far-end-hangs-up');
    await w.callRemoved(mtPath, mark);
    assert.deepEqual(w.signals.slice(mark).filter((s) => s.member === 'DisconnectReason').map((s) => s.body[0]), ['remote'], '24.008 cause 16 from the far end');

    await m.finished();
    assert.deepEqual(m.mismatches, [], 'imsd sent what the transcript expects');

    // the Registration setting is remembered under the IMSI the modem gave (AT+CIMI)
    await new Promise<void>((resolve, reject) =>
      execFile('dbus-send', [`--bus=${bus.address}`, '--print-reply', '--dest=org.ofono', MODEM, 'org.ofono.IpMultimediaSystem.SetProperty', 'string:Registration', 'variant:string:enabled'], (e) => (e ? reject(e) : resolve())),
    );
    assert.equal(readFileSync(join(dir, 'state', 'registration', IMSI), 'utf8'), 'enabled\n');
    assert.equal(await stopped(child), 0, log.slice(-20).join(''));
  });

  it('SIGTERM during a call: the call is hung up (ATH), imsd exits 0, org.ofono is released, the modem\'s IMS is left on', async () => {
    const child = await startImsd('modem-ims-sigterm.at');
    const m = modem!;
    const w = watch!;
    await until('Registered = true', async () => (await props()).Registered === 'true');
    const mark = w.mark();
    const out = await script('dial-number', '+15559999');
    const path = /^(\/imsd_0\/voicecall\d+)$/m.exec(out)![1]!;
    await w.property(path, 'State', 'active', mark);
    const removed = w.callRemoved(path, mark);
    assert.equal(await stopped(child), 0, log.slice(-20).join(''));
    await removed;
    assert.equal(m.commands.at(-1), 'ATH');
    await m.finished();
    assert.deepEqual(m.mismatches, [], 'nothing after ATH: no AT+EIMS=0 at stop');
    assert.equal(await nameHasOwner(bus.address, 'org.ofono'), false);
    assert.match(log.join(''), /stopped/);
  });
});
