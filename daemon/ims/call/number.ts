// Dial strings and remote identities. A global number (leading '+') becomes a tel URI (RFC 3966
// 5.1.4); any other number is local and needs a phone-context (RFC 3966 5.1.5), carried in a SIP
// URI with user=phone (RFC 3261 19.1.6, TS 24.229 5.1.2A.1.5 for numbers the UE cannot globalise).
import type { NameAddr } from '../../sip/header-values.js';
import { parseNameAddr } from '../../sip/header-values.js';
import { isSipUri, isTelUri, parseUri, type Uri } from '../../sip/uri.js';
import { CallBackendError } from '../../dbus/backend.js';

/** RFC 3966 5.1.4/5.1.5 visual separators a dialer may leave in ('-', '.', '(', ')', ' ') */
const SEPARATORS = /[\s\-.()]/g;

/** digits, '*', '#' and an optional leading '+'; separators removed; InvalidFormat otherwise */
export function normaliseDialString(number: string): string {
  const n = number.replace(SEPARATORS, '');
  if (!/^\+?[0-9*#]{1,32}$/.test(n)) throw new CallBackendError('InvalidFormat', `not a phone number: "${number}"`);
  return n;
}

/** a SIP or tel URI the user typed instead of a number */
export function isUriDialString(s: string): boolean {
  return /^(sips?|tel):/i.test(s);
}

export function requestUriFor(number: string, phoneContext: string, domain: string): Uri {
  if (isUriDialString(number)) {
    try {
      return parseUri(number, 'dial string');
    } catch (e) {
      throw new CallBackendError('InvalidFormat', (e as Error).message);
    }
  }
  const n = normaliseDialString(number);
  if (n.startsWith('+')) return parseUri(`tel:${n}`);
  // RFC 3966 5.1.5: a local number's phone-context is a domain name or a global number prefix
  return parseUri(`sip:${n};phone-context=${phoneContext}@${domain};user=phone`);
}

/** the number (or SIP user) a URI names, without parameters: "+15559999" from tel:+15559999;… or sip:+15559999@…;user=phone */
export function lineIdentificationOf(uri: Uri): string {
  if (isTelUri(uri)) return uri.number;
  if (isSipUri(uri)) return decodeURIComponent((uri.user ?? uri.host).split(';')[0]!);
  return '';
}

/**
 * RFC 3325 9.1 / RFC 3323 4.2: who is calling. P-Asserted-Identity (the tel URI preferred, it
 * carries the number) over From; "withheld" when Privacy: id (or the anonymous URI) hides it.
 */
export function callerOf(headers: { get(n: string): string | undefined; getAll(n: string): string[] }, from: NameAddr): { number: string; name: string } {
  const privacy = (headers.get('Privacy') ?? '').toLowerCase().split(/[;,]/).map((s) => s.trim());
  const pais: NameAddr[] = [];
  for (const v of headers.getAll('P-Asserted-Identity')) {
    try {
      pais.push(parseNameAddr(v, 'P-Asserted-Identity'));
    } catch {
      // a broken identity is no identity; From still names the caller
    }
  }
  const best = pais.find((p) => isTelUri(p.uri)) ?? pais[0] ?? from;
  const number = lineIdentificationOf(best.uri);
  const anonymous = isSipUri(best.uri) && (best.uri.host.toLowerCase() === 'anonymous.invalid' || (best.uri.user ?? '').toLowerCase() === 'anonymous');
  if (privacy.includes('id') || privacy.includes('user') || anonymous || number === '') return { number: 'withheld', name: '' };
  const name = (best.displayName ?? pais.find((p) => p.displayName)?.displayName ?? from.displayName ?? '').replace(/^"|"$/g, '');
  return { number, name };
}
