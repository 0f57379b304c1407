// imsd as a process with Modem=ofono, beside a model of oFono (tests/helpers/ofono-model) on a
// private dbus-daemon: the oFono side is a model because oFono has no modem to drive on this
// machine. What runs for real: dbus-daemon, the imsd process (config, composition, driver,
// registration, D-Bus service) and the UDP socket standing for the P-CSCF in this test.
// Checked: companion mode (IpMultimediaSystem on org.imsd at the oFono modem's path), the IMS
// context created and activated, the REGISTER sent from the context's address to the P-CSCF that
// the context's settings name with the serving cell in P-Access-Network-Info, and a new
// registration after the network drops the PDN.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, Variant, type BusConnection } from '../../../../daemon/dbus/binding.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { OfonoModel, str } from '../../../helpers/ofono-model/ofono-model.js';
import { startPrivateBus, type PrivateBus } from '../../../integration/daemon/dbus/helpers/private-bus.js';
import { REPO } from '../../daemon/main/imsd-process.js';

const IMSI = '001010000000001';

describe('modem-drivers/ofono: imsd with Modem=ofono beside a model of oFono', function () {
  this.timeout(60000);
  let bus: PrivateBus;
  let model: OfonoModel;
  let dir: string;
  let pcscf: Socket;
  let imsd: ChildProcess | undefined;
  let client: BusConnection | undefined;
  const log: string[] = [];
  const registers: { callId: string; via: string; from: string; pani: string }[] = [];

  const until = async (what: () => boolean, label: string, ms = 15000): Promise<void> => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(what(), `not reached within ${ms} ms: ${label}\nimsd's log:\n${log.slice(-40).join('')}`);
  };

  const startImsd = (): ChildProcess => {
    const conf = join(dir, 'imsd.conf');
    writeFileSync(
      conf,
      `[General]
Bus=${bus.address}
BusName=org.imsd
Modem=ofono
StateDir=${join(dir, 'state')}
[Sim]
Source=soft
Imsi=${IMSI}
Ki=465b5ce8b199b49faa5f0a2ee238a6bc
Opc=cd63cb71954a9f4e48a5994e37a02baf
[Ims]
PcscfPort=${pcscf.address().port}
LocalPort=0
SecAgree=none
Transport=udp
[Log]
Level=info
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'daemon/main.ts', '--config', conf], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    imsd = child;
    return child;
  };

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon')]);
    bus = await startPrivateBus();
    dir = await mkdtemp(join(tmpdir(), 'imsdt-ofono-'));
    pcscf = createSocket('udp4');
    pcscf.on('message', (msg, rinfo) => {
      const text = msg.toString('utf8');
      if (!text.startsWith('REGISTER ')) return;
      const header = (name: string): string => new RegExp(`^${name}:[ \\t]*([^\\r\\n]*)`, 'mi').exec(text)?.[1] ?? '';
      registers.push({ callId: header('Call-ID'), via: header('Via'), from: `${rinfo.address}`, pani: header('P-Access-Network-Info') });
    });
    await new Promise<void>((r) => pcscf.bind(0, '127.0.0.1', r));
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    if (imsd && imsd.exitCode === null && imsd.signalCode === null) {
      const exited = new Promise((r) => imsd!.once('exit', r));
      imsd.kill('SIGKILL');
      await exited;
    }
    imsd = undefined;
    await model?.down();
    registers.length = 0;
    log.length = 0;
  });

  after(async () => {
    pcscf?.close();
    await bus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves at the oFono modem path, brings the IMS context up, registers, and registers again after PDN loss', async () => {
    model = await OfonoModel.start(bus.address);
    const modem = model.addModem('/ril_0', {
      imsi: IMSI,
      mcc: '001',
      mnc: '01',
      onActivate: { settings: { Interface: str('lo'), Method: str('static'), Address: str('127.0.0.1'), ProxyCSCF: str('127.0.0.1') } },
    });
    // the serving LTE cell as oFono's NetworkRegistration gives it
    Object.assign(modem.network, { MobileCountryCode: str('001'), MobileNetworkCode: str('01'), LocationAreaCode: new Variant('q', 0x2a), CellId: new Variant('u', 0xc01) });
    const child = startImsd();

    await until(() => registers.length >= 1, 'a REGISTER at the P-CSCF of the IMS context');
    const ctx = modem.context();
    assert.equal(ctx.props.AccessPointName!.value, 'ims', 'the missing IMS context was created with APN ims');
    assert.equal(ctx.active, true);
    assert.equal(registers[0]!.from, '127.0.0.1');
    assert.match(registers[0]!.via, /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+/);
    assert.equal(registers[0]!.pani, '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=00101002A0000C01', 'the cell in P-Access-Network-Info');

    client = await connectBus(bus.address);
    const [props] = (await client.call('org.imsd', '/ril_0', 'org.ofono.IpMultimediaSystem', 'GetProperties')) as [Record<string, { value: unknown }>];
    assert.equal(props.Registered?.value, false, 'IpMultimediaSystem served on org.imsd at the oFono modem path /ril_0');

    // the network drops the PDN: the registration ends, the driver brings the PDN back, imsd registers anew
    const firstCallId = registers[0]!.callId;
    ctx.deactivate();
    await until(() => registers.some((r) => r.callId !== firstCallId), 'a REGISTER of a new registration');
    await until(() => log.join('').includes('PDN down'), 'the PDN loss in the log');

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log.slice(-20).join(''));
  });

  it('started before oFono: waits for it and its modem, serves at the modem path, then registers', async () => {
    model = await OfonoModel.start(bus.address);
    await model.down();
    model.addModem('/ril_0', { onActivate: { settings: { Interface: str('lo'), Address: str('127.0.0.1'), ProxyCSCF: str('127.0.0.1') } } });
    const child = startImsd();
    await until(() => log.join('').includes('oFono is not on the bus yet'), 'imsd waiting for oFono');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(registers.length, 0);
    await model.up();
    await until(() => log.join('').includes('serving on D-Bus'), 'imsd serving');
    assert.match(log.join(''), /serving on D-Bus busName=org\.imsd modemPath=\/ril_0/);
    await until(() => registers.length >= 1, 'a REGISTER once oFono is there');
    client = await connectBus(bus.address);
    await client.call('org.imsd', '/ril_0', 'org.ofono.IpMultimediaSystem', 'GetProperties');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log.slice(-20).join(''));
  });
});
