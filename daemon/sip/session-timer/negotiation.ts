// RFC 4028 session interval negotiation for both roles: what a UAC puts in its INVITE/UPDATE
// (7.1), how it retries after 422 (7.4) and reads the 2xx (7.2); what a UAS answers (9).
import type { SipRequest, SipResponse } from '../message.js';
import { addOptionTags, peerSupports } from '../dialogs/option-tags.js';
import { formatSessionExpires, minSEOf, sessionExpiresOf, type Refresher } from './headers.js';

/** RFC 4028 4: the recommended session interval; 5: Min-SE may never be below 90 s. */
export const DEFAULT_SESSION_INTERVAL = 1800;
export const MIN_SE_FLOOR = 90;

export interface SessionTimerConfig {
  /** the interval we ask for or accept at most (seconds, default 1800) */
  interval?: number;
  /** the smallest interval we accept (seconds, at least 90, default 90) */
  minSE?: number;
  /** who should refresh when we get to choose (default: the UAC, the usual choice of IMS UEs) */
  preferredRefresher?: Refresher;
}

/** An agreed session timer: the interval and which side of the negotiating transaction refreshes. */
export interface SessionTimerAgreement {
  interval: number;
  refresher: Refresher;
}

function minSEFloor(cfg: SessionTimerConfig): number {
  return Math.max(MIN_SE_FLOOR, cfg.minSE ?? MIN_SE_FLOOR);
}

function intervalOf(cfg: SessionTimerConfig): number {
  return Math.max(minSEFloor(cfg), cfg.interval ?? DEFAULT_SESSION_INTERVAL);
}

/**
 * RFC 4028 7.1: a UAC that supports the extension sends Supported: timer, and asks for a session
 * interval with Session-Expires (optionally naming the refresher) and its Min-SE.
 */
export function addSessionTimerToRequest(req: SipRequest, cfg: SessionTimerConfig, refresher?: Refresher): void {
  addOptionTags(req, 'Supported', ['timer']);
  req.headers.set('Session-Expires', formatSessionExpires({ interval: intervalOf(cfg), refresher }));
  req.headers.set('Min-SE', minSEFloor(cfg));
}

/**
 * RFC 4028 7.4: after a 422 the UAC retries with Session-Expires and Min-SE raised to the
 * Min-SE of the 422 (keeping the largest Min-SE it has seen). Returns the new config, or
 * undefined when the 422 carries no usable Min-SE or would need more than `maxInterval`.
 */
export function configAfter422(res: SipResponse, cfg: SessionTimerConfig, maxInterval = 86400): SessionTimerConfig | undefined {
  if (res.status !== 422) return undefined;
  let required: number | undefined;
  try {
    required = minSEOf(res);
  } catch {
    return undefined;
  }
  if (required === undefined || required > maxInterval) return undefined;
  const minSE = Math.max(minSEFloor(cfg), required);
  return { ...cfg, minSE, interval: Math.max(intervalOf(cfg), minSE) };
}

/**
 * RFC 4028 7.2: the 2xx decides. With Session-Expires, its refresher parameter names the side
 * (missing: the UAC, as a proxy inserting it for a UAS without support sets); without it, the
 * session has no timer.
 */
export function uacAgreement(res: SipResponse): SessionTimerAgreement | undefined {
  const se = sessionExpiresOf(res);
  if (se === undefined) return undefined;
  return { interval: se.interval, refresher: se.refresher ?? 'uac' };
}

export type UasDecision =
  /** too small: answer 422 with this Min-SE */
  | { kind: 'reject'; status: 422; minSE: number }
  /** go on; put `headers` into the 2xx; `agreement` undefined means no session timer */
  | { kind: 'accept'; agreement?: SessionTimerAgreement; headers: Array<[string, string]> };

/**
 * RFC 4028 9: the UAS side. A Session-Expires below our minimum gets 422 when the UAC supports
 * timers (a UAC that does not could not act on a 422, so then the interval is raised instead, as
 * 8.1 has proxies do). The interval may be lowered to our preference but not below Min-SE; the
 * refresher is the one the UAC named, else our preference; a UAC without support cannot refresh,
 * so then we do. The 2xx carries Session-Expires, and Require: timer when the UAC supports timers.
 */
export function uasDecide(req: SipRequest, cfg: SessionTimerConfig): UasDecision {
  const uacSupports = peerSupports(req, 'timer');
  const ours = minSEFloor(cfg);
  const se = sessionExpiresOf(req);
  const reqMinSE = Math.max(minSEOf(req) ?? MIN_SE_FLOOR, MIN_SE_FLOOR);
  if (se !== undefined && se.interval < ours && uacSupports) return { kind: 'reject', status: 422, minSE: ours };
  const floor = Math.max(ours, reqMinSE);
  const interval = Math.max(floor, se === undefined ? intervalOf(cfg) : Math.min(se.interval, intervalOf(cfg)));
  let refresher: Refresher;
  if (!uacSupports) refresher = 'uas';
  else refresher = se?.refresher ?? cfg.preferredRefresher ?? 'uac';
  const headers: Array<[string, string]> = [['Session-Expires', formatSessionExpires({ interval, refresher })]];
  if (uacSupports) headers.push(['Require', 'timer']);
  return { kind: 'accept', agreement: { interval, refresher }, headers };
}
