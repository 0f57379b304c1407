// The reg event package document (RFC 3680 5.3, application/reginfo+xml) as TS 24.229 5.1.1.7
// needs it: per registration (AOR) its state and its contacts with state, event and expiry.
import { ReginfoError } from './errors.js';
import { childrenNamed, parseXml } from './xml.js';

export type RegistrationElementState = 'init' | 'active' | 'terminated';
export type ContactState = 'active' | 'terminated';
/** RFC 3680 5.3 contact event attribute values */
export type ContactEvent = 'registered' | 'created' | 'refreshed' | 'shortened' | 'expired' | 'deactivated' | 'probation' | 'unregistered' | 'rejected';

export interface ReginfoContact {
  id: string;
  state: ContactState;
  event: ContactEvent | string;
  uri: string;
  expires?: number;
  retryAfter?: number;
  /** unknown-param elements (e.g. +sip.instance) by name */
  params: Map<string, string>;
}

export interface ReginfoRegistration {
  aor: string;
  id: string;
  state: RegistrationElementState;
  contacts: ReginfoContact[];
}

export interface Reginfo {
  version: number;
  state: 'full' | 'partial';
  registrations: ReginfoRegistration[];
}

function attr(el: { attributes: Map<string, string>; name: string }, name: string): string {
  const v = el.attributes.get(name);
  if (v === undefined) throw new ReginfoError(`<${el.name}> without ${name} attribute`);
  return v;
}

function optInt(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new ReginfoError(`${what}="${v}" is not a number`);
  return Number(v.trim());
}

export function parseReginfo(body: string): Reginfo {
  const root = parseXml(body);
  if (root.name !== 'reginfo') throw new ReginfoError(`root element is <${root.name}>, not <reginfo>`);
  const version = optInt(attr(root, 'version'), 'version')!;
  const state = attr(root, 'state');
  if (state !== 'full' && state !== 'partial') throw new ReginfoError(`reginfo state "${state}"`);
  const registrations = childrenNamed(root, 'registration').map((r): ReginfoRegistration => {
    const rs = attr(r, 'state');
    if (rs !== 'init' && rs !== 'active' && rs !== 'terminated') throw new ReginfoError(`registration state "${rs}"`);
    return {
      aor: attr(r, 'aor'),
      id: attr(r, 'id'),
      state: rs,
      contacts: childrenNamed(r, 'contact').map((c): ReginfoContact => {
        const cs = attr(c, 'state');
        if (cs !== 'active' && cs !== 'terminated') throw new ReginfoError(`contact state "${cs}"`);
        const uri = childrenNamed(c, 'uri')[0];
        if (!uri) throw new ReginfoError('<contact> without <uri>');
        const params = new Map<string, string>();
        for (const p of childrenNamed(c, 'unknown-param')) params.set(attr(p, 'name'), p.text.trim());
        const expires = optInt(c.attributes.get('expires'), 'expires');
        const retryAfter = optInt(c.attributes.get('retry-after'), 'retry-after');
        return {
          id: attr(c, 'id'),
          state: cs,
          event: attr(c, 'event'),
          uri: uri.text.trim(),
          ...(expires !== undefined ? { expires } : {}),
          ...(retryAfter !== undefined ? { retryAfter } : {}),
          params,
        };
      }),
    };
  });
  return { version, state, registrations };
}
