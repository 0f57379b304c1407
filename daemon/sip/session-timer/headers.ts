// RFC 4028 4 and 5: Session-Expires = delta-seconds *(SEMI se-params), se-params = refresher-param
// / generic-param, refresher-param = "refresher" EQUAL ("uas" / "uac"); Min-SE = delta-seconds
// *(SEMI generic-param).
import { SipParseError } from '../errors.js';
import { parseUnsigned } from '../header-values.js';
import type { SipMessage } from '../message.js';

export type Refresher = 'uac' | 'uas';

export interface SessionExpires {
  interval: number;
  refresher?: Refresher;
}

function split(text: string, where: string): { seconds: number; params: Map<string, string | null> } {
  const [first, ...rest] = text.split(';');
  const seconds = parseUnsigned(first, where);
  const params = new Map<string, string | null>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name === '') throw new SipParseError(`empty parameter in "${text}"`, where);
    params.set(name, eq < 0 ? null : p.slice(eq + 1).trim());
  }
  return { seconds, params };
}

export function parseSessionExpires(text: string): SessionExpires {
  const { seconds, params } = split(text, 'Session-Expires');
  const r = params.get('refresher');
  if (r === undefined) return { interval: seconds };
  const v = r?.toLowerCase();
  if (v !== 'uac' && v !== 'uas') throw new SipParseError(`refresher must be uac or uas, not "${r}"`, 'Session-Expires');
  return { interval: seconds, refresher: v };
}

export function formatSessionExpires(se: SessionExpires): string {
  return se.refresher === undefined ? `${se.interval}` : `${se.interval};refresher=${se.refresher}`;
}

export function parseMinSE(text: string): number {
  return split(text, 'Min-SE').seconds;
}

/** The Session-Expires of a message, if any. */
export function sessionExpiresOf(msg: SipMessage): SessionExpires | undefined {
  const v = msg.headers.get('Session-Expires');
  return v === undefined ? undefined : parseSessionExpires(v);
}

/** The Min-SE of a message, if any. */
export function minSEOf(msg: SipMessage): number | undefined {
  const v = msg.headers.get('Min-SE');
  return v === undefined ? undefined : parseMinSE(v);
}
