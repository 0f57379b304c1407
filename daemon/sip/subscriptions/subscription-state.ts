// RFC 6665 8.2.3 / RFC 3265 7.2.4: Subscription-State = substate-value *( SEMI subexp-params ),
// substate-value = "active" / "pending" / "terminated" / extension-substate; subexp-params =
// ("reason" EQUAL event-reason-value) / ("expires" EQUAL delta-seconds) /
// ("retry-after" EQUAL delta-seconds) / generic-param.
import { SipParseError } from '../errors.js';
import { parseUnsigned } from '../header-values.js';

export interface SubscriptionState {
  /** lower-cased: active, pending, terminated or an extension */
  state: string;
  expires?: number;
  /** RFC 6665 4.1.3: deactivated, probation, rejected, timeout, giveup, noresource, invariant */
  reason?: string;
  retryAfter?: number;
}

export function parseSubscriptionState(text: string): SubscriptionState {
  const [head, ...params] = text.split(';');
  const state = head.trim().toLowerCase();
  if (!/^[a-z0-9.!%*_+`'~-]+$/.test(state)) throw new SipParseError(`bad state "${head}"`, 'Subscription-State');
  const out: SubscriptionState = { state };
  for (const p of params) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (name === 'expires') out.expires = parseUnsigned(value, 'Subscription-State');
    else if (name === 'retry-after') out.retryAfter = parseUnsigned(value, 'Subscription-State');
    else if (name === 'reason') out.reason = value.toLowerCase();
  }
  return out;
}

export function formatSubscriptionState(s: SubscriptionState): string {
  let v = s.state;
  if (s.reason !== undefined) v += `;reason=${s.reason}`;
  if (s.expires !== undefined) v += `;expires=${s.expires}`;
  if (s.retryAfter !== undefined) v += `;retry-after=${s.retryAfter}`;
  return v;
}

/** RFC 6665 8.2.1: Event = event-type *( SEMI event-param ); the "id" parameter tells subscriptions apart. */
export function parseEvent(text: string): { type: string; id?: string } {
  const [type, ...params] = text.split(';');
  const out: { type: string; id?: string } = { type: type.trim().toLowerCase() };
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'id') out.id = p.slice(eq + 1).trim();
  }
  return out;
}

/** RFC 6665 4.1.3 / 7.2.1: the same event package and the same id (both absent counts as equal). */
export function sameEvent(a: string, b: string): boolean {
  const x = parseEvent(a);
  const y = parseEvent(b);
  return x.type === y.type && x.id === y.id;
}
