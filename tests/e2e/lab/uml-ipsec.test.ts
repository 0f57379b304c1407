// The lab with IPsec inside User-Mode Linux (the host kernel may lack ESP). A scripted UE
// (ue/secagree-ue.ts) registers with sec-agree: the P-CSCF (Kamailio ims_ipsec_pcscf) creates its
// SAs (checked with `ip xfrm state` inside UML), the UE installs its own from IK, the protected
// REGISTER succeeds, and the requests the P-CSCF originates towards the UE — the reg-event NOTIFY
// and an MT INVITE from the far-end phone — arrive over the SAs, on the UE's protected server
// port from the P-CSCF's protected client port (TS 33.203 7.1).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { labCliCommand, runInUml } from '../../../lab/core/uml.js';
import { command, file, requirePrerequisites, root } from '../../helpers/prereq.js';
import { makeTestLab, REPO } from '../../integration/lab/lab-cli.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';

function ueSteps(output: string): Map<string, Record<string, unknown>> {
  const steps = new Map<string, Record<string, unknown>>();
  for (const m of output.matchAll(/^UE (\w+) (.*)$/gm)) steps.set(m[1], JSON.parse(m[2]) as Record<string, unknown>);
  return steps;
}

interface XfrmSa {
  src: string;
  dst: string;
  spi: number;
  sport: number;
  dport: number;
}
function parseXfrm(text: string): XfrmSa[] {
  const out: XfrmSa[] = [];
  for (const block of text.split(/^(?=src )/m)) {
    const h = /^src (\S+) dst (\S+)/.exec(block);
    const spi = /spi 0x([0-9a-f]+)/.exec(block);
    const sel = /sel .* sport (\d+) dport (\d+)/.exec(block);
    if (h && spi && sel) out.push({ src: h[1], dst: h[2], spi: parseInt(spi[1], 16), sport: Number(sel[1]), dport: Number(sel[2]) });
  }
  return out;
}

describe('imsd-lab with IPsec inside User-Mode Linux', function () {
  this.timeout(300_000);
  const work = mkdtempSync(join(tmpdir(), 'imsdt-uml-'));

  before(function () {
    requirePrerequisites(this, [root(), command('linux.uml'), command('busybox'), command('kamailio'), command('baresip'),
      file('/usr/lib/uml/modules')]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('sec-agree REGISTER: P-CSCF SAs, protected REGISTER, NOTIFY and MT INVITE reach the UE over its SAs', async () => {
    const prefix = `iu${randomBytes(3).toString('hex')}`;
    const runDir = join(work, 'lab');
    const cli = (a: string[]) => labCliCommand(['--run-dir', runDir, '--prefix', prefix, ...a]);
    const ue = JSON.stringify({
      phase: 'mt', ue: '10.45.0.2', pcscf: '10.45.0.1', imsi: '001010000000001',
      domain: 'ims.mnc001.mcc001.3gppnetwork.org', k: K, opc: OPC, timeoutMs: 20_000,
    });
    // Key material is filtered out of everything printed (ip xfrm shows the keys).
    const script = `
${cli(['up', '--inside-uml', '--ipsec'])} || exit 1
ip netns exec ${prefix}-ue ${process.execPath} --import tsx ${join(REPO, 'tests/e2e/lab/ue/secagree-ue.ts')} '${ue}' > ${work}/ue.out 2>&1 &
UE=$!
while kill -0 $UE 2>/dev/null && ! grep -q '^UE WAITING_MT' ${work}/ue.out; do sleep 0.2; done
${cli(['far-end', 'dial', '+15550001'])}
wait $UE; echo "UE-RC $?"
cat ${work}/ue.out
echo "--- core xfrm"; ip -n ${prefix}-core xfrm state | grep -Ev 'auth|enc|aead'
echo "--- ue xfrm"; ip -n ${prefix}-ue -s xfrm state | grep -Ev 'auth|enc|aead'
grep -a 'PCSCF: .* over its SAs' ${runDir}/logs/pcscf.log
${cli(['down', '--inside-uml'])}
ls /run/netns 2>/dev/null | grep -c ${prefix} | sed 's/^/NETNS-LEFT /'
`;
    const r = await runInUml(script, join(work, 'uml'), { timeoutMs: 240_000 });
    const out = r.output;
    assert.ok(!out.includes(K) && !out.includes(OPC), 'no key material in the output');
    assert.equal(r.code, 0, out.slice(-3000));
    assert.match(out, /UE-RC 0/, out.slice(-3000));
    const steps = ueSteps(out);

    // The P-CSCF answered the sec-agree REGISTER with a Security-Server and created its SAs
    const ch = steps.get('CHALLENGED') as { securityServer: string; ue: { spiUc: number; spiUs: number; portUc: number; portUs: number } };
    const p = (n: string) => Number(new RegExp(`${n}=(\\d+)`).exec(ch.securityServer)?.[1]);
    const pc = { spiC: p('spi-c'), spiS: p('spi-s'), portC: p('port-c'), portS: p('port-s') };
    const core = parseXfrm(out.split('--- core xfrm')[1].split('--- ue xfrm')[0]);
    const has = (src: string, dst: string, spi: number, sport: number, dport: number) =>
      core.some((s) => s.src === src && s.dst === dst && s.spi === spi && s.sport === sport && s.dport === dport);
    assert.ok(has('10.45.0.2', '10.45.0.1', pc.spiS, ch.ue.portUc, pc.portS), `inbound SA to port_ps: ${JSON.stringify(core)}`);
    assert.ok(has('10.45.0.2', '10.45.0.1', pc.spiC, ch.ue.portUs, pc.portC), 'inbound SA to port_pc');
    assert.ok(has('10.45.0.1', '10.45.0.2', ch.ue.spiUc, pc.portS, ch.ue.portUc), 'outbound SA to port_uc');
    assert.ok(has('10.45.0.1', '10.45.0.2', ch.ue.spiUs, pc.portC, ch.ue.portUs), 'outbound SA to port_us');

    // The protected REGISTER succeeded with AKA
    assert.ok(steps.has('REGISTERED'), out.slice(-2000));
    // P-CSCF-originated requests: from port_pc to port_us, over the SAs (not from 5060)
    for (const name of ['NOTIFY', 'MT_INVITE']) {
      const s = steps.get(name) as { from: { address: string; port: number }; toPort: number } | undefined;
      assert.ok(s, `${name} did not arrive: ${out.slice(-2000)}`);
      assert.deepEqual(s.from, { address: '10.45.0.1', port: pc.portC }, `${name} source`);
      assert.equal(s.toPort, ch.ue.portUs, `${name} destination port`);
    }
    assert.ok(steps.has('MT_DONE'));
    // The UE's inbound SA on port_us counted them (ESP really carried them)
    const ueX = out.split('--- ue xfrm')[1];
    const usBlock = ueX.split(/^(?=src )/m).find((b) => new RegExp(`spi 0x0*${ch.ue.spiUs.toString(16)}\\b`).test(b)) ?? '';
    const packets = Number(/(\d+)\(packets\)/.exec(usBlock)?.[1] ?? 0);
    assert.ok(packets >= 3, `expected 200 OK (REGISTER), NOTIFY and INVITE on the port_us SA, counted ${packets}`);
    assert.match(out, /PCSCF: NOTIFY to UE 10\.45\.0\.2:5064 over its SAs/);
    assert.match(out, /PCSCF: INVITE to UE 10\.45\.0\.2:5064 over its SAs/);
    assert.match(out, /NETNS-LEFT 0/);
  });

  it('`up --uml` / `status` / `down` from the host', async () => {
    const lab = makeTestLab();
    try {
      const up = await lab.cli(['up', '--uml'], 240_000);
      assert.equal(up.code, 0, up.stderr);
      const figure = /up inside User-Mode Linux in (\d+) ms/.exec(up.stderr);
      assert.ok(figure, up.stderr);
      console.log(`      figure: lab ready inside User-Mode Linux ${figure[1]} ms after \`up --uml\``);
      const s = JSON.parse((await lab.cli(['status', '--json'])).stdout) as { up: boolean; mode: string; ipsec: boolean; logDir: string };
      assert.equal(s.up, true);
      assert.equal(s.mode, 'uml');
      assert.equal(s.ipsec, true);
      assert.ok(existsSync(join(s.logDir, 'pcscf.log')), 'the logs of the lab inside UML are visible on the host');
      const down = await lab.cli(['down'], 120_000);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(existsSync(lab.runDir), false);
      assert.equal(existsSync(`/etc/netns/${lab.prefix}-core`), false);
      assert.equal((JSON.parse((await lab.cli(['status', '--json'])).stdout) as { up: boolean }).up, false);
    } finally {
      await lab.cli(['down'], 120_000);
      rmSync(dirname(lab.runDir), { recursive: true, force: true });
    }
  });
});
