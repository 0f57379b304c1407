// What a reg-event document (RFC 3680) means for our registration, TS 24.229 5.1.1.7: the public
// identities still registered with our contact, and what to do about our own contact's state.
import type { Reginfo, ReginfoContact } from './reginfo.js';

export type RegEventAction =
  | { kind: 'none' }
  /** deactivated, expired, unregistered: start an initial registration */
  | { kind: 'register-again'; event: string }
  /** rejected: the identities are gone; do not register again by ourselves */
  | { kind: 'rejected' }
  /** probation: register again after retry-after (or the back-off) */
  | { kind: 'probation'; retryAfter?: number }
  /** shortened: re-register (and so re-authenticate) before the new expiry */
  | { kind: 'shortened'; expires: number };

export interface RegEventDecision {
  /** registered IMPUs, the default first when it is still registered */
  impus: string[];
  action: RegEventAction;
}

/**
 * `current` are the IMPUs we hold (a partial document updates them, a full one replaces them);
 * `isOurs` recognises our contact (+sip.instance or host:port).
 */
export function decideOnReginfo(doc: Reginfo, current: string[], defaultImpu: string | undefined, isOurs: (c: ReginfoContact) => boolean): RegEventDecision {
  const active: string[] = doc.state === 'partial' ? [...current] : [];
  let ours: { aor: string; contact: ReginfoContact } | undefined;
  let first: { aor: string; contact: ReginfoContact } | undefined;
  for (const r of doc.registrations) {
    const c = r.contacts.find(isOurs);
    if (!c) continue;
    const idx = active.indexOf(r.aor);
    if (r.state === 'active' && c.state === 'active') {
      if (idx < 0) active.push(r.aor);
    } else if (idx >= 0) active.splice(idx, 1);
    first ??= { aor: r.aor, contact: c };
    if (r.aor === defaultImpu) ours = { aor: r.aor, contact: c };
  }
  const impus = defaultImpu && active.includes(defaultImpu) ? [defaultImpu, ...active.filter((a) => a !== defaultImpu)] : active;
  // the default IMPU's registration speaks for our contact; another one only when none is left
  // registered (a single public identity deregistered is no reason to register again)
  if (!ours && first && (defaultImpu === undefined || impus.length === 0)) ours = first;
  if (!ours) return { impus, action: { kind: 'none' } };
  const { contact } = ours;
  if (contact.state === 'terminated') {
    if (contact.event === 'rejected') return { impus, action: { kind: 'rejected' } };
    if (contact.event === 'probation') return { impus, action: { kind: 'probation', ...(contact.retryAfter !== undefined ? { retryAfter: contact.retryAfter } : {}) } };
    return { impus, action: { kind: 'register-again', event: contact.event } };
  }
  if (contact.event === 'shortened' && contact.expires !== undefined) return { impus, action: { kind: 'shortened', expires: contact.expires } };
  return { impus, action: { kind: 'none' } };
}
