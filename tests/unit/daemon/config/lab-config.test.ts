// The imsd.conf that `imsd-lab up` writes is one imsd accepts, with and without IPsec.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../../daemon/config/load.js';
import { defaultLabSubscribers } from '../../../../lab/hss/default-subscribers.js';
import { writeSubscribers } from '../../../../lab/core/subscribers.js';
import { imsdConfig, imsdPaths } from '../../../../lab/core/ue.js';
import { defaultOptions, names } from '../../../../lab/options.js';

describe("daemon/config: the lab's imsd.conf", () => {
  it('parses, naming the first subscriber, the UE veth and the P-CSCF', () => {
    const runDir = mkdtempSync(join(tmpdir(), 'imsdt-labconf-'));
    try {
      const o = defaultOptions({ runDir, prefix: 'imsdtu' });
      writeSubscribers(o, defaultLabSubscribers());
      const p = imsdPaths(o);
      for (const ipsec of [false, true]) {
        const info = { ueNamespace: names(o).ueNs, ueAddress: o.ueV4, ueAddress6: o.ueV6, pcscf: { address: o.coreV4, address6: o.coreV6, port: 5060 }, domain: o.domain, ipsec };
        const c = parseConfig(p.config, imsdConfig(o, info, p.stateDir, p.busAddress));
        assert.equal(c.general.bus, p.busAddress);
        assert.equal(c.general.busName, 'org.ofono');
        assert.equal(c.sim.imsi, '001010000000001');
        assert.deepEqual(c.ims.pcscf, [o.coreV4]);
        assert.equal(c.ims.interface, names(o).ueIf);
        assert.equal(c.ims.secAgree, ipsec ? 'ipsec-3gpp' : 'none');
        assert.equal(c.modem.apRtp, true, 'the calls carry RTP to and from the far end');
      }
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
