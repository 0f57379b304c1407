// Registration timers: when to re-register (TS 24.229 5.1.1.4.1) and how long to wait after a
// failure before the next attempt (RFC 5626 4.5).

/** TS 24.229 5.1.1.4.1: re-register 600 s before expiry when it is over 1200 s, else at half of it. */
export function reRegisterDelaySeconds(expires: number): number {
  return expires > 1200 ? expires - 600 : expires / 2;
}

export interface BackoffOptions {
  /** RFC 5626 4.5 base-time: 30 s when every flow failed, 90 s otherwise */
  baseSeconds?: number;
  /** RFC 5626 4.5 max-time (default 1800 s) */
  maxSeconds?: number;
}

/**
 * RFC 5626 4.5: wait-time = min(max-time, base-time * 2^consecutive-failures), then a random
 * share between 50% and 100% of it. `failures` is the count of consecutive failures; `random` in [0, 1).
 */
export function backoffSeconds(failures: number, random: number, o: BackoffOptions = {}): number {
  const base = o.baseSeconds ?? 30;
  const max = o.maxSeconds ?? 1800;
  const upper = Math.min(max, base * 2 ** Math.max(0, failures));
  return upper * (0.5 + 0.5 * Math.min(Math.max(random, 0), 1));
}
