// Composition of the lab HSS: subscribers file + Cx application + Diameter server.
import { randomBytes } from 'node:crypto';
import { APP_CX, VENDOR_3GPP } from '../diameter/dictionary.js';
import type { LocalPeerIdentity } from '../diameter/base-protocol.js';
import { startDiameterServer, type RequestLog } from '../diameter/server.js';
import { parseHssConfig, type HssConfig } from './config.js';
import { CxApplication } from './cx-application.js';
import { nextSqn } from './sqn.js';
import { SubscriberFile } from './subscriber-file.js';

export interface HssOptions {
  /** Where log lines go (default: stdout). Lines never carry keys, CK/IK or XRES. */
  log?: (line: string) => void;
  /** Called for every Diameter request answered (tests collect latencies from it). */
  onRequest?: (entry: RequestLog) => void;
  randomBytes?: (length: number) => Buffer;
  nextSqn?: (last: bigint) => bigint;
  /** Poll interval of the subscribers file, ms. */
  watchIntervalMs?: number;
}

export interface RunningHss {
  host: string;
  port: number;
  cx: CxApplication;
  subscribers: SubscriberFile;
  close(): Promise<void>;
}

export function formatRequestLog(e: RequestLog): string {
  return `${new Date().toISOString()} ${e.command} from ${e.peer} result=${e.result ?? '-'} ${e.elapsedMs.toFixed(3)}ms${e.detail ? ` ${e.detail}` : ''}`;
}

export async function startHss(configJson: HssConfig | unknown, options: HssOptions = {}): Promise<RunningHss> {
  const config = parseHssConfig(configJson);
  const log = options.log ?? ((line: string) => console.log(line));
  const subscribers = new SubscriberFile(config.subscribersFile, config.domain, log);
  subscribers.watch(options.watchIntervalMs);
  const local: LocalPeerIdentity = {
    originHost: config.originHost,
    originRealm: config.originRealm,
    hostIpAddresses: [config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host],
    vendorId: 0,
    productName: 'imsd-lab-hss',
    authApplications: [{ vendorId: VENDOR_3GPP, applicationId: APP_CX }],
    supportedVendorIds: [VENDOR_3GPP],
  };
  const cx = new CxApplication({
    local,
    directory: subscribers,
    randomBytes: options.randomBytes ?? randomBytes,
    nextSqn: options.nextSqn ?? nextSqn,
  });
  let server;
  try {
    server = await startDiameterServer({
      host: config.listen.host,
      port: config.listen.port,
      local,
      handler: (request) => cx.handle(request),
      onRequest: (entry) => {
        log(formatRequestLog(entry));
        options.onRequest?.(entry);
      },
      onError: (peer, err) => log(`${new Date().toISOString()} error from ${peer}: ${err.name}: ${err.message}`),
    });
  } catch (err) {
    subscribers.close();
    throw err;
  }
  log(`hss: ${config.originHost} listening on ${server.address.address}:${server.address.port}, ${subscribers.size} subscribers from ${config.subscribersFile}`);
  return {
    host: server.address.address,
    port: server.address.port,
    cx,
    subscribers,
    close: async () => {
      subscribers.close();
      await server.close();
    },
  };
}
