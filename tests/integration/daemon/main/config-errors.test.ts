// imsd as a process: a bad configuration stops it at start with exit 1 and one line naming the
// file, the line and the reason (never a stack trace, never a secret).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const KI = '465b5ce8b199b49faa5f0a2ee238a6bc';

function imsd(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'daemon/main.ts', ...args], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('imsd start-up with a bad configuration', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'imsdt-cfg-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string, RegExp][] = [
    ['unknown key', `[General]\nModem=simulated\nColor=red\n`, /:3: unknown key Color in \[General\]/],
    ['bad value', `[Ims]\nSecAgree=tls\n`, /:2: SecAgree must be one of ipsec-3gpp, none \(not "tls"\)/],
    ['a PC/SC card with the modem\'s own IMS', `[General]\nModem=mediatek\n[Sim]\nSource=pcsc\n[Modem]\nDevice=/dev/radio/atci1\nMode=modem-ims\n`, /:4: with Mode=modem-ims the modem authenticates with the SIM in it/],
    ['SIM source without its driver', `[General]\nModem=simulated\n[Sim]\nSource=modem\n[Ims]\nPcscf=10.0.0.1\nInterface=lo\n`, /:4: Source=modem .* needs Modem=at/],
    ['malformed secret', `[Sim]\nSource=soft\nKi=${KI.slice(0, 30)}\n`, /:3: Ki must be 32 hexadecimal digits \(value not shown\)/],
  ];
  for (const [what, text, reason] of cases) {
    it(`${what}: exit 1, file:line: reason on stderr`, () => {
      const file = join(dir, `${what.replace(/\W+/g, '-')}.conf`);
      writeFileSync(file, text);
      const r = imsd(['--config', file]);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn'));
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.startsWith(`<3>imsd: ${file}:`), lines[0]);
      assert.match(lines[0]!, reason);
      assert.ok(!r.stderr.includes(KI.slice(0, 30)) && !r.stdout.includes(KI.slice(0, 30)));
    });
  }

  const valid = (lines: string): string => `[General]
Bus=unix:path=${join(dir, 'no-bus-here')}
StateDir=${join(dir, 'state')}
[Sim]
Source=soft
Imsi=001010000000001
Ki=${KI}
Opc=cd63cb71954a9f4e48a5994e37a02baf
[Ims]
Pcscf=127.0.0.1
${lines}`;

  it('an interface that does not exist: exit 1 naming it', () => {
    const f = join(dir, 'noif.conf');
    writeFileSync(f, valid('Interface=imsdt-none0\n'));
    const r = imsd(['--config', f]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /<3>imsd: InterfaceError: network interface imsdt-none0 does not exist/);
  });

  it('a bus that cannot be reached: exit 1 with the reason, no key in the output', () => {
    const f = join(dir, 'nobus.conf');
    writeFileSync(f, valid('Interface=lo\nLocalPort=0\n'));
    const r = imsd(['--config', f]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`<3>imsd: DbusStartError: cannot serve org\\.imsd on the bus unix:path=${join(dir, 'no-bus-here')}: .*ENOENT`));
    assert.ok(!`${r.stdout}${r.stderr}`.includes(KI));
  });

  it('a missing file: exit 1 naming it', () => {
    const r = imsd(['--config', join(dir, 'absent.conf')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /<3>imsd: .*absent\.conf: cannot read the configuration file \(ENOENT\)/);
  });

  it('an unknown option: usage and exit 2', () => {
    const r = imsd(['--colour']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: imsd \[--config FILE\] \[--foreground\]/);
  });
});
