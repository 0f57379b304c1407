// Lab parameters: every name, address and path the lab uses comes from here, so a test can run
// its own lab (own run dir, own namespace prefix) beside a user's lab without collisions.
import { join } from 'node:path';

export interface Subscriber {
  imsi: string;
  msisdn: string;
  /** Secrets: never logged, never printed by `status`. */
  k: string;
  opc: string;
  amf: string;
}

export type IpsecMode = 'auto' | 'on' | 'off';

export interface LabOptions {
  runDir: string;
  /** Prefix of namespace and interface names; at most 8 characters (interface names are 15). */
  prefix: string;
  domain: string;
  ipsec: IpsecMode;
  /** Core-side and UE-side addresses on the veth (private ranges, only inside the lab's netns). */
  coreV4: string;
  ueV4: string;
  coreV6: string;
  ueV6: string;
  pcscfPort: number;
  /**
   * A P-CSCF address that never answers (UE-side neighbour entry to a MAC nobody has: packets leave
   * the UE and are dropped silently, no ICMP), for P-CSCF failover tests.
   */
  deadPcscfV4: string;
  deadPcscfV6: string;
  farEndNumber: string;
}

export function defaultOptions(overrides: Partial<LabOptions> = {}): LabOptions {
  const o: LabOptions = {
    runDir: process.env.IMSD_LAB_RUN_DIR ?? '/tmp/imsd-lab',
    prefix: process.env.IMSD_LAB_PREFIX ?? 'imsdlab',
    domain: 'ims.mnc001.mcc001.3gppnetwork.org',
    ipsec: 'auto',
    coreV4: '10.45.0.1',
    ueV4: '10.45.0.2',
    coreV6: 'fd00:45::1',
    ueV6: 'fd00:45::2',
    pcscfPort: 5060,
    deadPcscfV4: '10.45.0.9',
    deadPcscfV6: 'fd00:45::9',
    farEndNumber: '+15559999',
    ...overrides,
  };
  if (!/^[a-z][a-z0-9-]{0,7}$/.test(o.prefix)) {
    throw new Error(`namespace prefix "${o.prefix}" must be 1-8 characters [a-z0-9-], starting with a letter`);
  }
  return o;
}

/** Names derived from the options: namespaces, interfaces, files. */
export function names(o: LabOptions) {
  return {
    coreNs: `${o.prefix}-core`,
    ueNs: `${o.prefix}-ue`,
    coreIf: `${o.prefix}-c`,
    ueIf: `${o.prefix}-u`,
    stateFile: join(o.runDir, 'state.json'),
    subscribersFile: join(o.runDir, 'subscribers.json'),
    logDir: join(o.runDir, 'logs'),
    pcapFile: join(o.runDir, 'pcap', 'core.pcap'),
    pcscfHost: `pcscf.${o.domain}`,
    scscfHost: `scscf.${o.domain}`,
    hssHost: `hss.${o.domain}`,
  };
}

/**
 * Subscribers for whom the lab's P-CSCF misbehaves on purpose (failure tests; not provisioned by
 * default, add them with `subscriber add`): without sec-agree its 401 offers a Security-Server with an
 * algorithm set no UE supports; reg-event NOTIFYs towards the other carry a malformed reginfo body.
 */
export const FAILURE_TEST_USERS = {
  unsupportedAlgorithms: { imsi: '001010000000061', msisdn: '+15550061' },
  malformedReginfo: { imsi: '001010000000062', msisdn: '+15550062' },
} as const;

/** Fixed ports inside the core namespace (its loopback is private to the lab). */
export const CORE_PORTS = {
  scscf: 6060,
  scscfDiameter: 3870,
  hssDiameter: 3868,
  farEndSip: 5090,
  farEndCtrl: 4444,
  ipsecClient: 5100,  // ims_ipsec_pcscf takes ports [5100, 5100+IPSEC_MAX)
  ipsecServer: 5200,  // and [5200, 5200+IPSEC_MAX)
  ipsecMax: 10,
} as const;

/** Under --uml the lab proper runs inside User-Mode Linux with its run dir here (shared via hostfs). */
export function umlInnerOptions(o: LabOptions): LabOptions {
  return { ...o, runDir: join(o.runDir, 'uml-lab') };
}
