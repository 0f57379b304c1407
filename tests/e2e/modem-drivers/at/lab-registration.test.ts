// imsd with `Modem=at` and `[Sim] Source=modem` registered to the lab (host, no IPsec): a scripted
// modem on a pty hands out the lab's UE address and P-CSCF in +CGCONTRDP (as PCO would), its card
// (the virtual ISIM with the soft SIM engine behind +CCHO/+CGLA) answers the S-CSCF's AKA
// challenge, and oFono's list-modems shows the registration on a private system bus. The network
// then drops the PDN and the modem brings it back: imsd goes idle and registers again.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../../../../lab/core/lab.js';
import { imsdPaths, LAB_IMSD, startLabBus } from '../../../../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { SoftSim } from '../../../../daemon/auth/sim/soft-sim.js';
import { nameHasOwner, spawnImsd } from '../../../e2e/daemon/main/imsd-process.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { ScriptedModem, type ModemService } from '../../../helpers/scripted-modem/scripted-modem.js';
import { UiccService } from '../../../helpers/scripted-modem/uicc-service.js';
import type { CardContent } from '../../../helpers/vcard/card-files.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';

async function waitFor(ok: () => boolean, timeoutMs: number, log: string[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; log:\n${log.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

describe('imsd with the AT driver and the SIM over AT registered to the lab', function () {
  this.timeout(120_000);
  let o: LabOptions;
  let dir: string;
  let engine: SoftSim | undefined;
  let modem: ScriptedModem | undefined;

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('python3'), command('dbus-daemon'),
      file('/usr/share/ofono/scripts/list-modems'), file('/usr/lib/python3/dist-packages/dbus')]);
    dir = mkdtempSync(join(tmpdir(), 'imsdt-atlab-'));
    o = defaultOptions({ runDir: join(dir, 'lab'), prefix: `imsdt${randomBytes(1).toString('hex')}a`, ipsec: 'off' });
    await up(o, { log: () => undefined });
    await startLabBus(o, names(o).ueNs);
  });

  after(async () => {
    await modem?.stop();
    await engine?.close();
    if (o) await down(o, { quiet: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('brings the IMS PDN up over AT, registers the ISIM\'s IMPU at the P-CSCF from +CGCONTRDP, again after a PDN loss, de-registers on SIGTERM', async () => {
    const domain = o.domain;
    // the lab's first subscriber, as the HSS has it
    const content: CardContent = {
      imsi: '001010000000001',
      mncLength: 2,
      isim: { impi: `001010000000001@${domain}`, domain, impus: [`sip:+15550001@${domain}`, 'tel:+15550001'], pcscf: [] },
    };
    engine = await SoftSim.open({ imsi: content.imsi, mncLength: 2, k: K, opc: OPC, stateFile: join(dir, 'card-sqn.json') });
    const uicc = new UiccService(content, engine);
    const keepalive: ModemService = { handle: (c) => (c === 'AT' ? ['OK'] : undefined) };
    // 27.007 10.1.23: the lab's UE address with its /24 mask, the P-CSCF as PCO gives it, MTU 1500
    modem = await ScriptedModem.start(`include init.at
-> AT+CGACT?
<- +CGACT: 1,0
<- OK
-> AT+CGDCONT=1,"IPV4V6","ims","",0,0,0,0,1,1,0,0,1
<- OK
-> AT+CGACT=1,1
<- OK
<- +CGEV: ME PDN ACT 1
-> AT+CGCONTRDP=1
<- +CGCONTRDP: 1,5,"ims","${o.ueV4}.255.255.255.0","${o.coreV4}","${o.coreV4}","0.0.0.0","${o.coreV4}","0.0.0.0",1,0,1500
<- OK
cue lose
# 27.007 10.1.19: the network drops the PDN, then the MT activates it again by itself
<- +CGEV: NW PDN DEACT 1
wait 300
<- +CGEV: ME PDN ACT 1
-> AT+CGCONTRDP=1
<- +CGCONTRDP: 1,5,"ims","${o.ueV4}.255.255.255.0","${o.coreV4}","${o.coreV4}","0.0.0.0","${o.coreV4}","0.0.0.0",1,0,1500
<- OK
`, { services: [uicc, keepalive], name: 'lab modem' });

    const p = imsdPaths(o);
    const conf = join(dir, 'imsd.conf');
    writeFileSync(conf, `[General]
Bus=${p.busAddress}
BusName=${LAB_IMSD.busName}
Modem=at
StateDir=${join(dir, 'state')}
[Sim]
Source=modem
[Modem]
Device=${modem.device}
Interface=${names(o).ueIf}
[Ims]
SecAgree=none
[Log]
Level=debug
`);
    const t0 = Date.now();
    const imsd = spawnImsd(names(o).ueNs, conf);
    try {
      assert.match(await imsd.waitForLine(/SIM ready/, 20_000), new RegExp(`source=modem impi=001010000000001@${domain.replace(/\./g, '\\.')}`));
      assert.match(await imsd.waitForLine(/IMS PDN up/, 20_000), new RegExp(`addresses=${o.ueV4.replace(/\./g, '\\.')} pcscf=${o.coreV4.replace(/\./g, '\\.')}`));
      await imsd.waitForLine(/registration state state=registered/, 20_000);
      console.log(`      figure: registered ${Date.now() - t0} ms after imsd started (process start, AT set-up, SIM over +CGLA, PDN, AKA included)`);
      const scscf = readFileSync(join(names(o).logDir, 'scscf.log'), 'utf8');
      assert.ok(scscf.includes(`SCSCF: authenticated sip:+15550001@${domain}`), scscf.slice(-2000));
      const r = spawnSync('/usr/share/ofono/scripts/list-modems', [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: p.busAddress }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\[ org\.ofono\.IpMultimediaSystem \][\s\S]*Registered = 1/);
      // PDN loss drops the registration; the PDN back (the MT's own "+CGEV: ME PDN ACT") registers again
      modem.cue('lose');
      await imsd.waitForLine(/IMS PDN down reason="network deactivated the IMS PDN"/, 10_000);
      await waitFor(() => imsd.lines.filter((l) => /registration state state=registered/.test(l)).length >= 2, 20_000, imsd.lines);
      await modem.finished();
      // the AKA challenge went to the card through the logical channel
      assert.ok(uicc.apdus.some((a) => a.channel === 1 && a.apdu.startsWith('01880081')), 'AUTHENTICATE over +CGLA');
      imsd.child.kill('SIGTERM');
      const end = await imsd.exited;
      assert.equal(end.code, 0, imsd.lines.join('\n'));
      const states = imsd.lines.filter((l) => /registration state state=/.test(l)).map((l) => /state=(\w+)/.exec(l)![1]);
      assert.equal(states.at(-1), 'deregistered', states.join(' → '));
      // registered, idle when the PDN went, registered again when it came back, de-registered on SIGTERM
      assert.deepEqual(states, ['registering', 'authenticating', 'registered', 'idle', 'registering', 'authenticating', 'registered', 'deregistering', 'deregistered']);
      assert.equal(await nameHasOwner(p.busAddress, LAB_IMSD.busName), false);
      assert.ok(modem.commands.includes('AT+CCHC=1'), 'the logical channel closed on shutdown');
      assert.deepEqual(modem.mismatches, []);
      const all = imsd.lines.join('\n');
      assert.ok(!all.includes(K) && !all.includes(OPC), 'no key in the log');
      // the AT channel logs at debug level, but not the AUTHENTICATE APDU nor the card's answer (DB <RES> <CK> <IK>)
      assert.match(all, /AT\+CGLA=1,\d+,\\"01880081…\\" \(AUTHENTICATE data not logged\)/);
      assert.ok(!/DB08[0-9A-F]{16}10/i.test(all), 'no RES/CK/IK in the log');
    } finally {
      if (imsd.child.exitCode === null) imsd.child.kill('SIGKILL');
    }
  });
});
