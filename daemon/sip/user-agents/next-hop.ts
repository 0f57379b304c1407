// RFC 3261 8.1.2: a request goes to the first Route entry if there is one (loose routing), else
// to its Request-URI. The sans-I/O core does no DNS (RFC 3263): the host must be an IP address;
// the port defaults to 5060 and the transport comes from the URI's transport parameter.
import type { SipRequest } from '../message.js';
import type { Destination, Protocol } from '../transactions/index.js';
import { isSipUri, type Uri } from '../uri.js';
import { UserAgentError } from './errors.js';

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.startsWith('[') && host.endsWith(']'));
}

export function destinationOf(uri: Uri, fallback: Protocol = 'udp'): Destination {
  if (!isSipUri(uri)) throw new UserAgentError(`cannot send to a ${uri.scheme}: URI without an outbound proxy`);
  if (!isIpLiteral(uri.host)) throw new UserAgentError(`"${uri.host}" needs DNS (RFC 3263); give the UA a route to an address`);
  const t = uri.params.get('transport');
  const protocol: Protocol = typeof t === 'string' && t.toLowerCase() === 'tcp' ? 'tcp' : fallback;
  const address = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  return { address, port: uri.port ?? 5060, protocol };
}

export function nextHop(req: SipRequest, fallback: Protocol = 'udp'): Destination {
  const first = req.routes[0];
  return destinationOf(first !== undefined ? first.uri : req.uri, fallback);
}
