// systemd/imsd.service checked by systemd's own tools: `systemd-analyze verify` (syntax, known
// keys, the executable) and `systemd-analyze security --offline` (exposure score, printed).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '../../../../daemon/config/schema.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';

const UNIT = fileURLToPath(new URL('../../../../systemd/imsd.service', import.meta.url));
/** the score the unit must stay at or below (0 = fully locked down, 10 = exposed) */
const MAX_EXPOSURE = 2.5;

describe('systemd/imsd.service', function () {
  let dir: string;
  let copy: string;

  beforeEach(function () {
    requirePrerequisites(this, [command('systemd-analyze')]);
    dir = mkdtempSync(join(tmpdir(), 'imsdt-unit-'));
    copy = join(dir, 'imsd.service');
    // verify checks that ExecStart's program exists: /usr/bin/imsd is installed only by packages
    writeFileSync(copy, readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/imsd ', `ExecStart=${process.execPath} `));
  });

  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is Type=dbus on the default bus name, restarts on failure, keeps only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE', () => {
    const text = readFileSync(UNIT, 'utf8');
    const keys = new Map(text.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(keys.get('Type'), 'dbus');
    assert.equal(keys.get('BusName'), DEFAULTS.busName);
    assert.equal(keys.get('Restart'), 'on-failure');
    assert.equal(keys.get('CapabilityBoundingSet'), 'CAP_NET_ADMIN CAP_NET_BIND_SERVICE');
    assert.equal(keys.get('ProtectSystem'), 'strict');
    assert.equal(keys.get('StateDirectory'), 'imsd');
    assert.match(keys.get('RestrictAddressFamilies') ?? '', /AF_NETLINK/, 'XFRM is configured over netlink');
    assert.equal(keys.get('ExecStart'), '/usr/bin/imsd --foreground --config /etc/imsd/imsd.conf');
  });

  it('passes systemd-analyze verify without a warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'verify warned');
  });

  it(`has a systemd-analyze security exposure of at most ${MAX_EXPOSURE}`, () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', `--threshold=${MAX_EXPOSURE * 10}`, copy], { encoding: 'utf8' });
    const m = /Overall exposure level for imsd\.service: (\d+\.\d+) (\S+)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    console.log(`      systemd-analyze security: exposure ${m[1]} ${m[2]}`);
    assert.ok(Number(m[1]) <= MAX_EXPOSURE, `exposure ${m[1]}`);
    assert.equal(r.status, 0, r.stderr);
  });
});
