// Starts the P-CSCF and S-CSCF (Debian's Kamailio 5.6) in the core namespace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_PORTS, FAILURE_TEST_USERS, names, type LabOptions } from '../options.js';
import { renderFile } from '../kamailio/render.js';
import { inNs, startDaemon } from './exec.js';

export interface KamailioTuning {
  /** UML is slow to create processes: one child, small memory (TESTBED.md). */
  slow: boolean;
  debug: number;
}

function common(o: LabOptions, t: KamailioTuning) {
  const n = names(o);
  return {
    DEBUG: t.debug,
    CHILDREN: t.slow ? 1 : 2,
    DOMAIN: o.domain,
    PCSCF_HOST: n.pcscfHost,
    SCSCF_HOST: n.scscfHost,
    HSS_HOST: n.hssHost,
    PCSCF_IP4: o.coreV4,
    PCSCF_IP6: o.coreV6,
    PCSCF_PORT: o.pcscfPort,
    SCSCF_PORT: CORE_PORTS.scscf,
    SCSCF_URI: `sip:127.0.0.1:${CORE_PORTS.scscf}`,
    SCSCF_DIAMETER_PORT: CORE_PORTS.scscfDiameter,
    HSS_PORT: CORE_PORTS.hssDiameter,
    FAR_END_NUMBER: o.farEndNumber,
    FAR_END_PORT: CORE_PORTS.farEndSip,
    IPSEC_CLIENT: CORE_PORTS.ipsecClient,
    IPSEC_SERVER: CORE_PORTS.ipsecServer,
    IPSEC_MAX: CORE_PORTS.ipsecMax,
    CDP_WORKERS: t.slow ? 1 : 2,
    UNSUPPORTED_ALG_USER: FAILURE_TEST_USERS.unsupportedAlgorithms.imsi,
    MALFORMED_REGINFO_USER: FAILURE_TEST_USERS.malformedReginfo.imsi,
  };
}

function startOne(o: LabOptions, t: KamailioTuning, role: 'pcscf' | 'scscf', cfg: string): number {
  const n = names(o);
  const dir = join(o.runDir, role);
  mkdirSync(dir, { recursive: true });
  const cfgFile = join(dir, `${role}.cfg`);
  writeFileSync(cfgFile, cfg);
  const mem = t.slow ? ['-m', '32', '-M', '4'] : ['-m', '64', '-M', '8'];
  return startDaemon(
    inNs(n.coreNs, ['kamailio', '-DD', '-E', '-f', cfgFile, '-Y', dir, '-w', dir, '-P', join(dir, `${role}.pid`), ...mem]),
    join(n.logDir, `${role}.log`),
  );
}

export function startScscf(o: LabOptions, t: KamailioTuning): number {
  const values = {
    ...common(o, t),
    // One SIP worker: with two, a REGISTER answering the 401 at once (SIPp) was intermittently
    // refused with 403 "Authentication Failed" in full test runs; suspected race between workers on
    // the auth vector's state in ims_auth (not proven).
    CHILDREN: 1,
    RUN: join(o.runDir, 'scscf'),
    CDP_XML: join(o.runDir, 'scscf', 'cdp.xml'),
  };
  mkdirSync(join(o.runDir, 'scscf'), { recursive: true });
  writeFileSync(values.CDP_XML, renderFile('scscf-cdp.xml', values));
  return startOne(o, t, 'scscf', renderFile('scscf-lab.cfg', values));
}

export function startPcscf(o: LabOptions, t: KamailioTuning, ipsec: boolean): number {
  const values = {
    ...common(o, t),
    RUN: join(o.runDir, 'pcscf'),
    IPSEC_DEFINE: ipsec ? '#!define WITH_IPSEC' : '# sec-agree off (--no-ipsec or no ESP in the kernel)',
  };
  return startOne(o, t, 'pcscf', renderFile('pcscf.cfg', values));
}
