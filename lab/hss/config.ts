// The lab HSS config file (JSON): where to listen, who we are, where the subscribers are.
import { isIP } from 'node:net';
import { HssConfigError } from './errors.js';

export interface HssConfig {
  listen: { host: string; port: number };
  originHost: string;
  originRealm: string;
  domain: string;
  subscribersFile: string;
}

export function parseHssConfig(json: unknown): HssConfig {
  if (typeof json !== 'object' || json === null) throw new HssConfigError('config must be a JSON object');
  const c = json as Record<string, unknown>;
  const listen = c.listen as Record<string, unknown> | undefined;
  if (typeof listen !== 'object' || listen === null || typeof listen.host !== 'string' || isIP(listen.host) === 0) {
    throw new HssConfigError('config.listen.host must be an IP address');
  }
  if (typeof listen.port !== 'number' || !Number.isInteger(listen.port) || listen.port < 0 || listen.port > 65535) {
    throw new HssConfigError('config.listen.port must be a port number (0 picks a free one)');
  }
  for (const key of ['originHost', 'originRealm', 'domain', 'subscribersFile'] as const) {
    if (typeof c[key] !== 'string' || c[key] === '') throw new HssConfigError(`config.${key} must be a non-empty string`);
  }
  return {
    listen: { host: listen.host, port: listen.port },
    originHost: c.originHost as string,
    originRealm: c.originRealm as string,
    domain: c.domain as string,
    subscribersFile: c.subscribersFile as string,
  };
}
