// RFC 4028 10: running an agreed session timer. The refresher sends a refresh (UPDATE when the
// peer allows it, else re-INVITE) at half the interval; the other side, if no refresh came,
// sends BYE min(32, interval/3) seconds before the session would expire.
import type { Clock, TimerHandle } from '../clock.js';
import type { SessionTimerAgreement } from './negotiation.js';
import type { Refresher } from './headers.js';

export interface SessionTimerEvents {
  /** time for us (the refresher) to send a session refresh */
  onRefresh: () => void;
  /** no refresh arrived in time: send BYE (RFC 4028 10) */
  onExpire: () => void;
}

/** UPDATE when the peer listed it in Allow (RFC 4028 7.1 prefers it: no new offer needed), else re-INVITE. */
export function refreshMethod(peerAllow: ReadonlySet<string> | undefined): 'UPDATE' | 'INVITE' {
  return peerAllow?.has('UPDATE') ? 'UPDATE' : 'INVITE';
}

/** seconds after the last refresh at which the non-refresher gives up: SE - min(32, SE/3) */
export function expiryDelaySeconds(interval: number): number {
  return interval - Math.min(32, interval / 3);
}

export class SessionTimer {
  #refresh: TimerHandle | undefined;
  #expire: TimerHandle | undefined;
  #agreement: SessionTimerAgreement | undefined;
  #weRefresh = false;

  constructor(
    private readonly clock: Clock,
    private readonly events: SessionTimerEvents,
  ) {}

  get agreement(): SessionTimerAgreement | undefined {
    return this.#agreement;
  }

  /** whether we are the refresher under the current agreement */
  get weRefresh(): boolean {
    return this.#weRefresh;
  }

  /**
   * (Re)start after a successful negotiating transaction (initial INVITE or any refresh).
   * `ourRole` is our side in *that* transaction: "uac" if we sent the request.
   */
  start(agreement: SessionTimerAgreement, ourRole: Refresher): void {
    this.stop();
    this.#agreement = agreement;
    this.#weRefresh = agreement.refresher === ourRole;
    if (this.#weRefresh) {
      this.#refresh = this.clock.setTimer((agreement.interval * 1000) / 2, () => {
        this.#refresh = undefined;
        this.events.onRefresh();
      });
    }
    // the refresher too ends the session if its own refreshes never succeed
    this.#expire = this.clock.setTimer(expiryDelaySeconds(agreement.interval) * 1000, () => {
      this.#expire = undefined;
      this.clock.clearTimer(this.#refresh);
      this.#refresh = undefined;
      this.events.onExpire();
    });
  }

  stop(): void {
    this.clock.clearTimer(this.#refresh);
    this.clock.clearTimer(this.#expire);
    this.#refresh = undefined;
    this.#expire = undefined;
  }
}
