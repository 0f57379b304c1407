// Option tags (RFC 3261 19.2) in Supported / Require / Unsupported: comparisons are case-insensitive.
import type { SipMessage } from '../message.js';

export function hasOptionTag(msg: SipMessage, header: 'Supported' | 'Require' | 'Proxy-Require', tag: string): boolean {
  const t = tag.toLowerCase();
  return msg.optionTags(header).some((x) => x.toLowerCase() === t);
}

/** the peer named the extension in Supported or Require */
export function peerSupports(msg: SipMessage, tag: string): boolean {
  return hasOptionTag(msg, 'Supported', tag) || hasOptionTag(msg, 'Require', tag);
}

/** RFC 3261 8.2.2.3: the Require options of a request that `supported` lacks (for 420 Unsupported). */
export function unsupportedRequirements(msg: SipMessage, supported: readonly string[]): string[] {
  const have = new Set(supported.map((s) => s.toLowerCase()));
  return msg.optionTags('Require').filter((t) => !have.has(t.toLowerCase()));
}

/** Methods the peer listed in Allow (upper case); undefined when it sent no Allow. */
export function allowedMethods(msg: SipMessage): Set<string> | undefined {
  if (!msg.headers.has('Allow')) return undefined;
  return new Set(msg.headers.getAll('Allow').map((m) => m.trim().toUpperCase()).filter((m) => m !== ''));
}

/** Add option tags to Supported/Require, keeping one field with a comma list (some peers read only the first field). */
export function addOptionTags(msg: SipMessage, header: 'Supported' | 'Require', tags: readonly string[]): void {
  const have = msg.optionTags(header);
  const lower = new Set(have.map((t) => t.toLowerCase()));
  const all = [...have, ...tags.filter((t) => !lower.has(t.toLowerCase()))];
  if (all.length > 0) msg.headers.set(header, all.join(', '));
}
