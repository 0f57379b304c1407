// imsd with `[Sim] Source=pcsc`: the IMS credentials come from a card through the real PC/SC
// stack — libpcsclite (npm smartcard) → an isolated pcscd → vsmartcard's vpcd → the virtual ISIM
// of tests/helpers/vcard — and imsd registers the card's IMPU at the lab's Kamailio S-CSCF (host,
// no IPsec), seen through oFono's list-modems on a private system bus.
import { strict as assert } from 'node:assert';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { down, up } from '../../../../lab/core/lab.js';
import { imsdPaths, LAB_IMSD, startLabBus } from '../../../../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import type { CardContent } from '../../../helpers/vcard/card-files.js';
import { IsolatedPcscd, VPCD_DRIVER, VPCD_PORTS, VPCD_READERS } from '../../../helpers/vcard/isolated-pcscd.js';
import type { VirtualCardConfig } from '../../../helpers/vcard/main.js';
import { nameHasOwner, REPO, spawnImsd, xfrmInNs } from './imsd-process.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

describe('imsd with a PC/SC card (pcscd + vpcd + virtual ISIM) registered to the lab', function () {
  this.timeout(120_000);
  let o: LabOptions;
  let pcscd: IsolatedPcscd | undefined;
  let card: ChildProcess | undefined;
  let dir: string;

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('pcscd'), command('unshare'), file(VPCD_DRIVER), command('dbus-daemon'),
      file('/usr/share/ofono/scripts/list-modems'), file('/usr/lib/python3/dist-packages/dbus')]);
    dir = mkdtempSync(join(tmpdir(), 'imsdt-pcsclab-'));
    o = defaultOptions({ runDir: join(dir, 'lab'), prefix: `imsdt${randomBytes(1).toString('hex')}p`, ipsec: 'off' });
    await up(o, { log: () => undefined });
    await startLabBus(o, names(o).ueNs);
    pcscd = await IsolatedPcscd.start();
    const domain = o.domain;
    // the lab's first subscriber (K/OPc as the HSS has them), with an ISIM naming its MSISDN IMPU first
    const content: CardContent = {
      imsi: '001010000000001',
      mncLength: 2,
      isim: { impi: `001010000000001@${domain}`, domain, impus: [`sip:+15550001@${domain}`, 'tel:+15550001'], pcscf: [] },
    };
    const config: VirtualCardConfig = {
      port: VPCD_PORTS[0], content, softSim: { imsi: content.imsi, mncLength: 2, k: K, opc: OPC, stateFile: join(dir, 'card-sqn.json') },
    };
    writeFileSync(join(dir, 'card.json'), JSON.stringify(config), { mode: 0o600 });
    card = pcscd.spawnInNetns(process.execPath, ['--import', 'tsx', join(REPO, 'tests/helpers/vcard/main.ts'), join(dir, 'card.json')], {
      cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: card!.stdout! }).once('line', (l) => (l.includes('connected') ? resolve() : reject(new Error(l))));
      card!.once('exit', (c) => reject(new Error(`virtual card exited (${c})`)));
    });
  });

  after(async () => {
    card?.stdin?.end();
    if (card && card.exitCode === null) card.kill('SIGKILL');
    await pcscd?.stop();
    if (o) await down(o, { quiet: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("registers the card's IMPU; list-modems shows it; SIGTERM de-registers and exits 0", async () => {
    const p = imsdPaths(o);
    const conf = join(dir, 'imsd.conf');
    writeFileSync(conf, `[General]
Bus=${p.busAddress}
BusName=${LAB_IMSD.busName}
Modem=simulated
StateDir=${join(dir, 'state')}
[Sim]
Source=pcsc
Reader=${VPCD_READERS[0]}
[Ims]
Pcscf=${o.coreV4}
Interface=${names(o).ueIf}
SecAgree=none
[Log]
Level=debug
`);
    // reader the card gets ~0.5 s after it connects; imsd waits for none, so give pcscd its moment
    await new Promise((r) => setTimeout(r, 1000));
    const imsd = spawnImsd(names(o).ueNs, conf, { PCSCLITE_CSOCK_NAME: pcscd!.socket });
    try {
      assert.match(await imsd.waitForLine(/SIM ready/, 20_000), new RegExp(`source=pcsc impi=001010000000001@${o.domain.replace(/\./g, '\\.')}`));
      await imsd.waitForLine(/registration state state=registered/, 20_000);
      // the S-CSCF authenticated the card's IMPU (the ISIM's first, not the IMSI-derived one)
      const scscf = readFileSync(join(names(o).logDir, 'scscf.log'), 'utf8');
      assert.ok(scscf.includes(`SCSCF: authenticated sip:+15550001@${o.domain}`), scscf.slice(-2000));
      const r = spawnSync('/usr/share/ofono/scripts/list-modems', [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: p.busAddress }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\[ org\.ofono\.IpMultimediaSystem \][\s\S]*Registered = 1/);
      const t0 = Date.now();
      imsd.child.kill('SIGTERM');
      const end = await imsd.exited;
      assert.equal(end.code, 0, imsd.lines.join('\n'));
      assert.ok(end.at - t0 < 5000);
      assert.ok(imsd.lines.some((l) => /state=deregistered/.test(l)));
      assert.equal(await nameHasOwner(p.busAddress, LAB_IMSD.busName), false);
      assert.deepEqual(await xfrmInNs(names(o).ueNs), { states: 0, policies: 0 });
      const all = imsd.lines.join('\n');
      assert.ok(!all.includes(K) && !all.includes(OPC), 'no key in the log');
    } finally {
      if (imsd.child.exitCode === null) imsd.child.kill('SIGKILL');
    }
  });
});
