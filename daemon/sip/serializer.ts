// serializeMessage: a SipRequest/SipResponse to wire bytes. Headers are written in order with
// their canonical (long) names; Content-Length always states the body length (RFC 3261 20.14).
import { formatUri } from './uri.js';
import type { SipMessage, SipRequest, SipResponse } from './message.js';

export function startLine(msg: SipRequest | SipResponse): string {
  if (msg.isRequest()) return `${msg.method} ${formatUri(msg.uri)} ${msg.version}`;
  const res = msg as SipResponse;
  return `${res.version} ${res.status} ${res.reason}`;
}

export function serializeHead(msg: SipMessage): string {
  let s = `${startLine(msg as SipRequest | SipResponse)}\r\n`;
  let wroteLength = false;
  for (const { name, value } of msg.headers) {
    if (name === 'Content-Length') {
      if (wroteLength) continue;
      wroteLength = true;
      s += `Content-Length: ${msg.body.length}\r\n`;
      continue;
    }
    s += `${name}: ${value}\r\n`;
  }
  if (!wroteLength) s += `Content-Length: ${msg.body.length}\r\n`;
  return `${s}\r\n`;
}

export function serializeMessage(msg: SipMessage): Buffer {
  const head = serializeHead(msg);
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  return Buffer.concat([Buffer.from(head, 'utf8'), msg.body]);
}
