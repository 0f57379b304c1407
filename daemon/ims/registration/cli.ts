// Register one subscriber until SIGTERM/SIGINT: `tsx daemon/ims/registration/cli.ts config.json`.
// State changes are printed as JSON lines on stdout; the log goes to stderr. The config names the
// P-CSCF, the UE address and a soft SIM (K/OPc are read from the file and never printed):
//   { "pcscf": "10.45.0.1", "ue": "10.45.0.2", "imsi": "001010000000001", "mncLength": 2,
//     "k": "…", "opc": "…", "secAgree": "none", "localPort": 5060, "expires": 600000 }
// Optional: "offer" (Security-Client pairs), "udpSizeThreshold", "t1Ms" (SIP T1), "backoffBaseSeconds"/"backoffMaxSeconds" (RFC 5626 4.5),
// "oldSaSetGraceMs" (how long a replaced SA set stays, TS 33.203 7.4), "logLevel".
// The simulated modem can be scripted through stdin, one command a line:
//   pdn-down | pdn-up | pdn-change {"addresses":[…],"pcscf":[…]} | bearer-up {BearerInfo} | reset | deregister | register
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftSim } from '../../auth/sim/soft-sim.js';
import type { IpsecManager } from '../../ipsec/types.js';
import { createLogger, isLogLevel, type Logger } from '../../log/logger.js';
import { SimulatedDriver } from '../../../modem-drivers/simulated/simulated-driver.js';
import type { AlgorithmPair } from './sec-agree.js';
import { startRegistration } from './service.js';

interface CliConfig {
  pcscf: string | string[];
  pcscfPort?: number;
  ue: string;
  interface?: string;
  imsi: string;
  mncLength?: number;
  k: string;
  opc: string;
  impu?: string;
  secAgree?: 'none' | 'ipsec-3gpp';
  localPort?: number;
  portC?: number;
  portS?: number;
  expires?: number;
  sqnStateFile?: string;
  logLevel?: string;
  accessNetworkInfo?: string;
  t1Ms?: number;
  /** Security-Client offer, most preferred first, e.g. [{"alg":"hmac-sha-1-96","ealg":"null"}] */
  offer?: AlgorithmPair[];
  udpSizeThreshold?: number;
  backoffBaseSeconds?: number;
  backoffMaxSeconds?: number;
  /** ms an SA set replaced by a re-authentication stays (default 32000) */
  oldSaSetGraceMs?: number;
}

/**
 * The kernel IpsecManager of daemon/ipsec (XfrmIpsecManager), loaded when sec-agree is asked for;
 * the process must run in the network namespace whose XFRM state it should own.
 */
async function openIpsec(logger: Logger): Promise<IpsecManager> {
  const path = '../../ipsec/sa-manager.js';
  let mod: { XfrmIpsecManager?: { open(o: { log?: (line: string) => void }): IpsecManager } };
  try {
    mod = (await import(path)) as typeof mod;
  } catch (e) {
    throw new Error(`secAgree "ipsec-3gpp" needs daemon/ipsec/sa-manager (${(e as Error).message}); use "none"`);
  }
  if (!mod.XfrmIpsecManager) throw new Error('daemon/ipsec/sa-manager exports no XfrmIpsecManager');
  const log = logger.child('ipsec');
  return mod.XfrmIpsecManager.open({ log: (line) => log.info(line) });
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: cli.ts <config.json>\n');
    return 2;
  }
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as CliConfig;
  const level = cfg.logLevel ?? 'info';
  if (!isLogLevel(level)) throw new Error(`unknown logLevel "${level}"`);
  const logger = createLogger({ level, stream: process.stderr });
  const ipsec = (cfg.secAgree ?? 'none') === 'none' ? 'none' : await openIpsec(logger);
  const sim = await SoftSim.open({
    imsi: cfg.imsi,
    mncLength: cfg.mncLength ?? 2,
    k: cfg.k,
    opc: cfg.opc,
    stateFile: cfg.sqnStateFile ?? join(tmpdir(), `imsd-sqn-${cfg.imsi}.json`),
    ...(cfg.impu ? { impus: [cfg.impu] } : {}),
    logger: logger.child('sim'),
  });
  const pcscf = Array.isArray(cfg.pcscf) ? cfg.pcscf : [cfg.pcscf];
  const driver = new SimulatedDriver({
    interface: cfg.interface ?? 'ims0',
    addresses: [cfg.ue],
    pcscf,
    ...(cfg.accessNetworkInfo ? { accessNetworkInfo: cfg.accessNetworkInfo } : {}),
  });
  const reg = await startRegistration({
    driver,
    sim,
    ipsec,
    logger,
    ...(cfg.pcscfPort !== undefined ? { pcscfPort: cfg.pcscfPort } : {}),
    ...(cfg.localPort !== undefined ? { localPort: cfg.localPort } : {}),
    ...(cfg.portC !== undefined && cfg.portS !== undefined ? { protectedPorts: { portC: cfg.portC, portS: cfg.portS } } : {}),
    ...(cfg.expires !== undefined ? { expires: cfg.expires } : {}),
    userAgent: 'imsd/0.1',
    ...(cfg.t1Ms !== undefined ? { timers: { T1: cfg.t1Ms } } : {}),
    ...(cfg.offer !== undefined ? { offer: cfg.offer } : {}),
    ...(cfg.oldSaSetGraceMs !== undefined ? { oldSaSetGraceMs: cfg.oldSaSetGraceMs } : {}),
    ...(cfg.udpSizeThreshold !== undefined ? { udpSizeThreshold: cfg.udpSizeThreshold } : {}),
    ...(cfg.backoffBaseSeconds !== undefined || cfg.backoffMaxSeconds !== undefined
      ? { backoff: { ...(cfg.backoffBaseSeconds !== undefined ? { baseSeconds: cfg.backoffBaseSeconds } : {}), ...(cfg.backoffMaxSeconds !== undefined ? { maxSeconds: cfg.backoffMaxSeconds } : {}) } }
      : {}),
  });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd = '', ...rest] = line.trim().split(' ');
    const arg = rest.join(' ');
    try {
      switch (cmd) {
        case 'pdn-down':
          driver.losePdn('scripted');
          break;
        case 'pdn-up':
          void driver.activateImsPdn();
          break;
        case 'pdn-change':
          driver.changePdn(JSON.parse(arg) as Parameters<SimulatedDriver['changePdn']>[0]);
          break;
        case 'bearer-up':
          driver.addBearer(JSON.parse(arg) as Parameters<SimulatedDriver['addBearer']>[0]);
          break;
        case 'reset':
          driver.reset();
          break;
        case 'deregister':
          void reg.deregister();
          break;
        case 'register':
          reg.register().catch((e: Error) => logger.warning('register failed', { error: e.message }));
          break;
        case '':
          break;
        default:
          logger.warning('unknown command on stdin', { cmd });
      }
    } catch (e) {
      logger.warning('stdin command failed', { cmd, error: (e as Error).message });
    }
  });
  const print = (s: unknown): void => {
    process.stdout.write(`${JSON.stringify(s)}\n`);
  };
  print(reg.snapshot);
  reg.events.on('state', print);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await reg.stop(5000);
  await driver.close();
  await sim.close();
  if (ipsec !== 'none') await ipsec.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
