// imsd with `Modem=at` and `[Sim] Source=modem` registered to the lab (host, no IPsec): a scripted
// modem on a pty hands out the lab's UE address and P-CSCF in +CGCONTRDP (as PCO would), its card
// (the virtual ISIM with the soft SIM engine behind +CCHO/+CGLA) answers the S-CSCF's AKA
// challenge, and oFono's list-modems shows the registration on a private system bus. The network
// then drops the PDN and the modem brings it back: imsd goes idle and registers again.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_IMSD } from '../../../../lab/core/ue.js';
import { names } from '../../../../lab/options.js';
import { nameHasOwner } from '../../../e2e/daemon/main/imsd-process.js';
import { command, file, requirePrerequisites, root } from '../../../helpers/prereq.js';
import { AtLab, CELL, K, OPC, waitFor } from './at-lab.js';

describe('imsd with the AT driver and the SIM over AT registered to the lab', function () {
  this.timeout(120_000);
  let lab: AtLab | undefined;

  before(async function () {
    requirePrerequisites(this, [root(), command('kamailio'), command('python3'), command('dbus-daemon'),
      file('/usr/share/ofono/scripts/list-modems'), file('/usr/lib/python3/dist-packages/dbus')]);
    lab = await AtLab.up('reg');
  });

  after(async () => {
    await lab?.down();
  });

  it('brings the IMS PDN up over AT, registers the ISIM\'s IMPU at the P-CSCF from +CGCONTRDP, again after a PDN loss, de-registers on SIGTERM', async () => {
    const { o } = lab!;
    const domain = o.domain;
    // the network drops the PDN (27.007 10.1.19), then the MT activates it again by itself
    const modem = await lab!.startModem(`cue lose
<- +CGEV: NW PDN DEACT 1
wait 300
<- +CGEV: ME PDN ACT 1
-> AT+CGCONTRDP=1
<- ${lab!.contextDynamic()}
<- OK
${lab!.cell()}
`);
    const uicc = lab!.uicc!;
    const t0 = Date.now();
    const imsd = lab!.startImsd();
    try {
      assert.match(await imsd.waitForLine(/SIM ready/, 20_000), new RegExp(`source=modem impi=001010000000001@${domain.replace(/\./g, '\\.')}`));
      assert.match(await imsd.waitForLine(/IMS PDN up/, 20_000), new RegExp(`addresses=${o.ueV4.replace(/\./g, '\\.')} pcscf=${o.coreV4.replace(/\./g, '\\.')}`));
      await imsd.waitForLine(/registration state state=registered/, 20_000);
      console.log(`      figure: registered ${Date.now() - t0} ms after imsd started (process start, AT set-up, SIM over +CGLA, PDN, AKA included)`);
      const scscf = readFileSync(join(names(o).logDir, 'scscf.log'), 'utf8');
      assert.ok(scscf.includes(`SCSCF: authenticated sip:+15550001@${domain}`), scscf.slice(-2000));
      const r = spawnSync('/usr/share/ofono/scripts/list-modems', [], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: lab!.busAddress }, encoding: 'utf8' });
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
      assert.equal(await nameHasOwner(lab!.busAddress, LAB_IMSD.busName), false);
      assert.ok(modem.commands.includes('AT+CCHC=1'), 'the logical channel closed on shutdown');
      assert.deepEqual(modem.mismatches, []);
      // TS 24.229 7.2A.4: every REGISTER the P-CSCF received from the UE names the modem's cell
      // (+COPS?/+CEREG?, at the first PDN and again when it came back)
      const registers = registersFromUe(names(o).pcapFile, o.ueV4, o.coreV4, o.pcscfPort);
      assert.ok(registers.length >= 4, `REGISTERs from the UE in the core capture: ${registers.length}`);
      for (const r of registers) assert.ok(r.includes(`\r\nP-Access-Network-Info: ${CELL}\r\n`), r);
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

/** The SIP text of each REGISTER from `ue` to the P-CSCF at `pcscf`:`port` in a capture (tcpdump -A, UDP). */
function registersFromUe(pcap: string, ue: string, pcscf: string, port: number): string[] {
  const r = spawnSync('tcpdump', ['-r', pcap, '-nn', '-A', '-s', '0', 'udp', 'and', 'src', 'host', ue, 'and', 'dst', 'host', pcscf, 'and', 'dst', 'port', String(port)], { encoding: 'latin1' });
  assert.equal(r.status, 0, r.stderr);
  // one packet per timestamped summary line; the payload follows the IP/UDP headers (printed as text too)
  const payloads = r.stdout.split(/\n(?=\d\d:\d\d:\d\d\.)/).map((p) => p.slice(p.indexOf('\n') + 1));
  return payloads.map((p) => p.slice(Math.max(0, p.indexOf('REGISTER sip'))).replace(/\r?\n/g, '\r\n')).filter((p) => p.startsWith('REGISTER sip'));
}
