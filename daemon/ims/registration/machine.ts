// The IMS registration state machine (TS 24.229 5.1.1, TS 33.203 6-7), sans-I/O: commands,
// responses, SIM and IPsec results and reg-event documents go in; actions (send this REGISTER on
// that flow, run AKA, install/remove these SAs, subscribe) and state snapshots come out through
// `act`. Timers go through the injected Clock. The owner (service.ts) performs the actions and
// feeds each result back with the token the action carried; stale results are answered by undoing
// them (SAs installed for an attempt that no longer exists are removed at once).
import { akaPassword, computeResponse, decodeAkaNonce, DigestError, formatAuthorization, parseChallenge, chooseQop, type DigestAlgorithm, type Qop } from '../../auth/digest.js';
import type { SimAuthResult } from '../../auth/sim/sim-card.js';
import type { InstalledSaSet, SaSetSpec } from '../../ipsec/types.js';
import type { Clock, TimerHandle } from '../../sip/clock.js';
import { cryptoRandom, type Random } from '../../sip/dialogs/random.js';
import type { SipRequest, SipResponse } from '../../sip/message.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import { ReginfoError, RegistrationStateError, SecAgreeError } from './errors.js';
import { buildRegister, hostForUri, initialAuthorization, uris } from './register-request.js';
import { formatUri } from '../../sip/uri.js';
import { parseReginfo } from './reginfo.js';
import { decideOnReginfo } from './reg-event.js';
import { buildSecurityClient, chooseMechanism, DEFAULT_OFFER, type AlgorithmPair, type SecMechanism } from './sec-agree.js';
import { backoffSeconds, reRegisterDelaySeconds, type BackoffOptions } from './timing.js';

export type Flow = 'unprotected' | 'protected';

export interface PcscfAddress {
  address: string;
  /** the P-CSCF's unprotected port (default 5060) */
  port: number;
}

export type RegistrationState =
  | 'idle'
  | 'registering'
  | 'authenticating'
  | 'registered'
  | 'reregistering'
  | 'deregistering'
  | 'deregistered'
  | 'backoff'
  | 'failed';

export type FailureKind =
  | 'forbidden'
  | 'rejected'
  | 'server-error'
  | 'timeout'
  | 'transport'
  | 'bad-challenge'
  | 'sec-agree'
  | 'auth'
  | 'sim'
  | 'ipsec'
  | 'too-many-challenges'
  | 'network'
  | 'unexpected-response';

export interface RegistrationFailure {
  kind: FailureKind;
  reason: string;
  status?: number;
  statusText?: string;
  /** ms until the next attempt, when one is scheduled */
  retryInMs?: number;
}

/** What D-Bus and the CLI need to show. */
export interface RegistrationSnapshot {
  state: RegistrationState;
  pcscf?: PcscfAddress;
  /** registered public user identities, default first (P-Associated-URI, then reg event) */
  impus: string[];
  defaultImpu?: string;
  /** granted registration duration in seconds */
  expires?: number;
  serviceRoute: string[];
  secAgree?: { alg: string; ealg: string };
  lastFailure?: RegistrationFailure;
}

export type RegistrationAction =
  /** `portC`: the protected client port it leaves from (the SA set it goes over) */
  | { kind: 'send'; token: number; flow: Flow; request: SipRequest; dest: PcscfAddress; portC?: number }
  /** `clientPort`: also open a new protected client port (TS 33.203 7.4: a new SA set gets a new port_uc) */
  | { kind: 'allocate-spis'; token: number; clientPort: boolean }
  | { kind: 'authenticate'; token: number; rand: Buffer; autn: Buffer }
  | { kind: 'install-sas'; token: number; spec: SaSetSpec }
  | { kind: 'remove-sas'; set: InstalledSaSet }
  /** this set now carries every new request: send from its client port by default */
  | { kind: 'sa-set-in-use'; set: InstalledSaSet }
  /** no SA set uses this protected client port and it is not offered: close it */
  | { kind: 'release-client-port'; port: number }
  | { kind: 'subscribe'; flow: Flow; impu: string; routes: string[]; headers: Array<[string, string]> }
  /** end the reg-event subscription: with an un-SUBSCRIBE, or `silently` (nothing can be sent) */
  | { kind: 'unsubscribe'; silently?: boolean }
  | { kind: 'state'; snapshot: RegistrationSnapshot };

export interface RegistrationConfig {
  impi: string;
  /** the public user identity the REGISTER is for */
  impu: string;
  homeDomain: string;
  ueAddress: string;
  pcscfs: PcscfAddress[];
  secAgree: 'ipsec-3gpp' | 'none';
  /** UE port for Contact/Via without sec-agree */
  unprotectedPort: number;
  /** the UE's protected client and server ports (sec-agree) */
  protectedPorts?: { portC: number; portS: number };
  /** +sip.instance, e.g. urn:gsma:imei:… or urn:uuid:… */
  instanceId: string;
  /** requested registration duration, seconds (default 600000, TS 24.229 5.1.1.2.1) */
  expires?: number;
  offer?: AlgorithmPair[];
  accessNetworkInfo?: string;
  userAgent?: string;
  backoff?: BackoffOptions;
  /** consecutive 401s accepted before an attempt counts as failed (default 2) */
  maxChallenges?: number;
  /**
   * How long an SA set replaced by a re-authentication stays for the transactions that began on
   * it (TS 33.203 7.4), in ms; default 64*T1 = 32 s, the longest a non-INVITE transaction or an
   * INVITE server transaction waiting for its ACK lives (RFC 3261 17.1.2.2, 17.2.1).
   */
  oldSaSetGraceMs?: number;
}

export interface RegistrationMachineOptions {
  config: RegistrationConfig;
  clock: Clock;
  act: (action: RegistrationAction) => void;
  random?: Random;
  /** [0, 1) for the back-off spread */
  jitter?: () => number;
  logger?: Logger;
}

type PendingKind = 'initial' | 'auth' | 'resync' | 'mac-failure' | 're' | 'dereg';

interface Credentials {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop: Qop | undefined;
  opaque: string | undefined;
  /** the digest password from RES (never logged) */
  password: Buffer;
  nc: number;
}

interface Challenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop: Qop | undefined;
  opaque: string | undefined;
  server: SecMechanism | undefined;
  /** the Security-Client values of the challenged request: its SPIs and protected client port */
  spis: { spiC: number; spiS: number; portC: number } | undefined;
}

const DEFAULT_EXPIRES = 600000;

export class RegistrationMachine {
  readonly #o: RegistrationMachineOptions;
  #cfg: RegistrationConfig;
  readonly #random: Random;
  readonly #log: Logger;
  #state: RegistrationState = 'idle';
  #token = 0;
  #callId = '';
  #fromTag = '';
  #cseq = 0;
  #pcscfIndex = 0;
  #failures = 0;
  #challenges = 0;
  #expiresWanted: number;
  #pending: { token: number; kind: PendingKind; flow: Flow; request: SipRequest } | undefined;
  #nextKind: PendingKind = 'initial';
  #spis: { spiC: number; spiS: number } | undefined;
  #challenge: Challenge | undefined;
  #creds: Credentials | undefined;
  /** the SA set registered requests use */
  #sas: InstalledSaSet | undefined;
  /** the server mechanism #sas was built from (Security-Verify echoes it) */
  #server: SecMechanism | undefined;
  /** a new set waiting for its REGISTER's 200 */
  #newSas: { set: InstalledSaSet; server: SecMechanism } | undefined;
  /** sets replaced by a newer one, kept for their transactions until the timer fires (TS 33.203 7.4) */
  readonly #retiring = new Map<InstalledSaSet, TimerHandle>();
  /** the protected client port (port_uc) Security-Client offers */
  #portC: number | undefined;
  /** #portC has carried an SA set: the next set needs a new one (the P-CSCF keys its SAs by it) */
  #portCUsed = false;
  #subscribed = false;
  /** clock time (ms) at which the current registration expires, while registered */
  #registeredUntil: number | undefined;
  #reginfoVersion = -1;
  #timer: TimerHandle | undefined;
  #snapshot: RegistrationSnapshot = { state: 'idle', impus: [], serviceRoute: [] };

  constructor(options: RegistrationMachineOptions) {
    this.#o = options;
    this.#cfg = options.config;
    this.#random = options.random ?? cryptoRandom;
    this.#log = options.logger ?? silentLogger;
    this.#expiresWanted = options.config.expires ?? DEFAULT_EXPIRES;
    if (this.#cfg.pcscfs.length === 0) throw new RegistrationStateError('no P-CSCF address');
    if (this.#cfg.secAgree === 'ipsec-3gpp' && !this.#cfg.protectedPorts) throw new RegistrationStateError('sec-agree needs protected ports');
    this.#portC = this.#cfg.protectedPorts?.portC;
  }

  get state(): RegistrationState {
    return this.#state;
  }

  get snapshot(): RegistrationSnapshot {
    return structuredClone(this.#snapshot);
  }

  /** the cell changed (TS 24.229 7.2A.4): the next REGISTER carries the new value, or none when unknown */
  setAccessNetworkInfo(value: string | undefined): void {
    const { accessNetworkInfo: _old, ...rest } = this.#cfg;
    this.#cfg = value === undefined ? rest : { ...rest, accessNetworkInfo: value };
  }

  get pcscf(): PcscfAddress {
    return this.#cfg.pcscfs[this.#pcscfIndex % this.#cfg.pcscfs.length]!;
  }

  /**
   * Where every request of a flow goes: the P-CSCF is the outbound proxy of all requests
   * (TS 24.229 5.1.2A.1.1), on its protected server port over the SAs.
   */
  destination(flow: Flow): PcscfAddress {
    if (flow === 'protected' && this.#server) return { address: this.pcscf.address, port: this.#server.portS };
    return this.pcscf;
  }

  get #ipsec(): boolean {
    return this.#cfg.secAgree === 'ipsec-3gpp';
  }

  // ---- commands ----

  /** Start an initial registration (TS 24.229 5.1.1.2). */
  start(): void {
    if (!['idle', 'deregistered', 'failed', 'backoff'].includes(this.#state)) throw new RegistrationStateError(`cannot start while ${this.#state}`);
    this.#failures = 0;
    this.#beginInitial();
  }

  /** De-register (expires 0, TS 24.229 5.1.1.6) if registered; otherwise drop every attempt. SAs go after the answer. */
  deregister(): void {
    this.#clearTimer();
    if (this.#state === 'registered' || this.#state === 'reregistering') {
      this.#newToken();
      this.#dropNewSas();
      if (this.#subscribed) {
        this.#subscribed = false;
        this.#o.act({ kind: 'unsubscribe' });
      }
      this.#challenges = 0;
      this.#setState('deregistering');
      if (this.#ipsec) {
        // fresh SPIs in Security-Client, in case the network challenges the de-registration
        this.#nextKind = 'dereg';
        this.#allocateSpis();
      } else this.#sendRegister('dereg');
      return;
    }
    if (this.#state === 'deregistering') return;
    this.#teardown();
    this.#setState('deregistered');
  }

  /** The IMS PDN went away or the modem reset: nothing can be sent; forget everything. */
  networkLost(reason: string): void {
    this.#clearTimer();
    this.#teardown();
    this.#snapshot.lastFailure = { kind: 'network', reason };
    this.#setState('idle');
  }

  // ---- results of actions ----

  /** `portC`: the new protected client port, when allocate-spis asked for one */
  spisAllocated(token: number, spis: { spiC: number; spiS: number; portC?: number }): void {
    if (token !== this.#token) {
      if (spis.portC !== undefined) this.#o.act({ kind: 'release-client-port', port: spis.portC });
      return;
    }
    this.#spis = { spiC: spis.spiC, spiS: spis.spiS };
    if (spis.portC !== undefined && spis.portC !== this.#portC) {
      const old = this.#portC;
      this.#portC = spis.portC;
      this.#portCUsed = false;
      if (old !== undefined && !this.#setUses(old)) this.#o.act({ kind: 'release-client-port', port: old });
    }
    this.#sendRegister(this.#nextKind);
  }

  authenticated(token: number, result: SimAuthResult): void {
    if (token !== this.#token || !this.#challenge) return;
    const ch = this.#challenge;
    const base = { username: this.#cfg.impi, realm: ch.realm, nonce: ch.nonce, uri: `sip:${this.#cfg.homeDomain}`, algorithm: ch.algorithm };
    if (result.kind === 'ok') {
      this.#creds = { realm: ch.realm, nonce: ch.nonce, algorithm: ch.algorithm, qop: ch.qop, opaque: ch.opaque, password: akaPassword(ch.algorithm, result.res, result.ik, result.ck), nc: 0 };
      if (!this.#ipsec) {
        this.#sendRegister(this.#answerKind());
        return;
      }
      const server = ch.server!;
      const spis = ch.spis!;
      const ports = this.#cfg.protectedPorts!;
      // TS 33.203 7.4: make before break. The current set (if any) stays while the new one is set
      // up; the new one has fresh SPIs and the new port_uc offered, port_us stays (Contact, Via)
      this.#o.act({
        kind: 'install-sas',
        token,
        spec: {
          ue: { address: this.#cfg.ueAddress, portC: spis.portC, portS: ports.portS, spiC: spis.spiC, spiS: spis.spiS },
          pcscf: { address: this.pcscf.address, portC: server.portC, portS: server.portS, spiC: server.spiC, spiS: server.spiS },
          integrity: server.alg,
          encryption: server.ealg,
          ik: result.ik,
          ck: result.ck,
        },
      });
      return;
    }
    if (result.kind === 'sync-failure') {
      // TS 24.229 5.1.1.5.3 / RFC 3310 3.4: AUTS and a response computed with an empty password;
      // over the existing SAs if any, else unprotected with fresh SPIs in Security-Client
      this.#log.notice('SQN out of range: re-synchronising');
      const response = computeResponse({ ...base, password: Buffer.alloc(0), method: 'REGISTER' });
      this.#resyncAuthorization = formatAuthorization({ ...base, response, auts: result.auts });
      this.#afterRejectedChallenge('resync');
      return;
    }
    // TS 24.229 5.1.1.5.2: network not authentic: empty response, no AUTS
    this.#log.warning('network authentication failed (AUTN rejected by the SIM)', { cause: result.cause ?? 'mac' });
    this.#resyncAuthorization = `Digest username="${this.#cfg.impi}",realm="${ch.realm}",nonce="${ch.nonce}",uri="sip:${this.#cfg.homeDomain}",response="",algorithm=${ch.algorithm}`;
    this.#afterRejectedChallenge('mac-failure');
  }

  #resyncAuthorization = '';

  /** the REGISTER that answers a challenge: the de-registration again, or the authenticated REGISTER */
  #answerKind(): PendingKind {
    return this.#state === 'deregistering' ? 'dereg' : 'auth';
  }

  #afterRejectedChallenge(kind: 'resync' | 'mac-failure'): void {
    this.#creds = undefined;
    if (this.#ipsec && !this.#sas) {
      this.#nextKind = kind;
      this.#allocateSpis();
      return;
    }
    this.#sendRegister(kind);
  }

  sasInstalled(token: number, set: InstalledSaSet): void {
    if (token !== this.#token || !this.#challenge?.server) {
      this.#removeSet(set);
      return;
    }
    this.#newSas = { set, server: this.#challenge.server };
    if (set.ue.portC === this.#portC) this.#portCUsed = true;
    this.#sendRegister(this.#answerKind());
  }

  /** allocate-spis, authenticate or install-sas failed */
  actionFailed(token: number, what: 'sim' | 'ipsec', error: Error): void {
    if (token !== this.#token) return;
    this.#fail({ kind: what, reason: error.message }, true);
  }

  /** A final (or provisional) response to a request sent with `send`. */
  response(token: number, res: SipResponse): void {
    const p = this.#pending;
    if (!p || token !== p.token || res.status < 200) return;
    this.#pending = undefined;
    if (p.kind === 'dereg') {
      // TS 24.229 5.1.1.6: a challenged de-registration is authenticated and sent again
      if (res.status === 401 && this.#challenges < (this.#cfg.maxChallenges ?? 2)) {
        this.#onChallenge(res);
        return;
      }
      this.#finishDereg(res.status >= 300 ? `de-registration answered ${res.status}` : undefined);
      return;
    }
    const s = res.status;
    if (s >= 200 && s < 300) this.#onRegistered(res);
    else if (s === 401) this.#onChallenge(res);
    else if (s === 423) this.#onIntervalTooBrief(res, p.kind);
    else if (s === 403 || s === 404) this.#fail({ kind: 'forbidden', reason: `REGISTER refused`, status: s, statusText: res.reason }, false);
    else {
      const retryAfter = Number(res.headers.get('Retry-After')?.split(/[;\s(]/)[0]);
      const failure: RegistrationFailure = { kind: s >= 500 ? 'server-error' : 'unexpected-response', reason: 'REGISTER failed', status: s, statusText: res.reason };
      const after = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
      // TS 24.229 5.1.1.4.1: a 408, 500 or 504 to a re-registration: an initial registration (5.1.1.2)
      if (this.#state === 'reregistering' && (s === 408 || s === 500 || s === 504)) this.#registerAfresh(failure, false);
      else if (!this.#keepRegistration(failure, after)) this.#fail(failure, true, after);
    }
  }

  /** The request's transaction timed out (Timer F) or could not be sent. */
  requestFailed(token: number, why: 'timeout' | 'transport', message: string): void {
    const p = this.#pending;
    if (!p || token !== p.token) return;
    this.#pending = undefined;
    if (p.kind === 'dereg') {
      this.#finishDereg(`de-registration ${why}: ${message}`);
      return;
    }
    // RFC 3261 8.1.3.1: a timeout counts as 408, a transport error as 503; try the next P-CSCF
    const failure: RegistrationFailure = { kind: why, reason: message, status: why === 'timeout' ? 408 : 503 };
    // TS 24.229 5.1.1.4.1: Timer F on a re-registration: drop the flow, select another P-CSCF of
    // the list and register there initially (5.1.1.2)
    if (this.#state === 'reregistering' && why === 'timeout') this.#registerAfresh(failure, true);
    else if (!this.#keepRegistration(failure)) this.#fail(failure, true);
  }

  /**
   * The body of a reg-event NOTIFY (RFC 3680), TS 24.229 5.1.1.7. `subscriptionTerminated`: the
   * NOTIFY's Subscription-State was terminated, so the subscription is over already.
   */
  reginfo(body: string, options: { subscriptionTerminated?: boolean } = {}): void {
    if (this.#state !== 'registered' && this.#state !== 'reregistering') return;
    let doc;
    try {
      doc = parseReginfo(body);
    } catch (e) {
      if (!(e instanceof ReginfoError)) throw e;
      // the registration stands; the next full NOTIFY (or a refresh) brings the state again
      this.#log.warning('reg-event NOTIFY body ignored', { error: e.message });
      return;
    }
    // RFC 3680 5.2: discard documents older than the last one
    if (doc.version <= this.#reginfoVersion) {
      this.#log.info('stale reginfo version ignored', { version: doc.version, last: this.#reginfoVersion });
      return;
    }
    this.#reginfoVersion = doc.version;
    const { impus, action } = decideOnReginfo(doc, this.#snapshot.impus, this.#snapshot.defaultImpu, (c) => this.#isOurContact(c));
    this.#snapshot.impus = impus;
    // RFC 6665 4.1.3: a NOTIFY with Subscription-State terminated ends the subscription; it needs
    // no un-SUBSCRIBE (which would also leave in clear once the SAs are gone). When the
    // registration stays, subscriptionEnded() follows and subscribes again.
    const ends = action.kind === 'rejected' || action.kind === 'probation' || action.kind === 'register-again';
    if (ends && options.subscriptionTerminated) this.#subscribed = false;
    switch (action.kind) {
      case 'rejected':
        this.#fail({ kind: 'rejected', reason: 'registration rejected by the network (reg event)' }, false);
        return;
      case 'probation':
        this.#fail({ kind: 'rejected', reason: 'registration on probation (reg event)' }, true, action.retryAfter);
        return;
      case 'register-again':
        this.#log.notice('registration terminated by the network: registering again', { event: action.event });
        this.#teardown();
        this.#failures = 0;
        this.#beginInitial();
        return;
      case 'shortened':
        this.#snapshot.expires = action.expires;
        this.#registeredUntil = this.#o.clock.now() + action.expires * 1000;
        this.#scheduleReRegister(action.expires);
        break;
      case 'none':
        break;
    }
    this.#emitState();
  }

  /** The reg-event subscription ended while registered. */
  subscriptionEnded(reason: string, retryAfter?: number): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    if (this.#state !== 'registered' && this.#state !== 'reregistering') return;
    this.#log.notice('reg-event subscription ended', { reason });
    if (reason === 'rejected' || reason === 'noresource') return;
    // TS 24.229 5.1.1.3: subscribe again (after the server's retry-after, else after a while)
    const delay = (retryAfter ?? 30) * 1000;
    this.#subscribeTimer = this.#o.clock.setTimer(delay, () => {
      this.#subscribeTimer = undefined;
      if ((this.#state === 'registered' || this.#state === 'reregistering') && !this.#subscribed) this.#subscribe();
    });
  }

  #subscribeTimer: TimerHandle | undefined;

  // ---- internals ----

  #newToken(): number {
    this.#token += 1;
    return this.#token;
  }

  #beginInitial(): void {
    this.#clearTimer();
    this.#newToken();
    this.#callId = `${this.#random.token()}${this.#random.token()}`;
    this.#fromTag = this.#random.token();
    this.#cseq = 0;
    this.#challenges = 0;
    this.#reginfoVersion = -1;
    this.#snapshot.pcscf = { ...this.pcscf };
    this.#setState('registering');
    if (this.#ipsec) {
      this.#nextKind = 'initial';
      this.#allocateSpis();
    } else this.#sendRegister('initial');
  }

  /** fresh SPIs, and a new port_uc when the offered one has carried an SA set (TS 33.203 7.4) */
  #allocateSpis(): void {
    this.#o.act({ kind: 'allocate-spis', token: this.#token, clientPort: this.#portCUsed });
  }

  /** whether a live SA set (current, new or retiring) uses this protected client port */
  #setUses(portC: number): boolean {
    return this.#sas?.ue.portC === portC || this.#newSas?.set.ue.portC === portC || [...this.#retiring.keys()].some((s) => s.ue.portC === portC);
  }

  /** remove a set; its client port goes too unless another set uses it or it is the one offered */
  #removeSet(set: InstalledSaSet): void {
    this.#o.act({ kind: 'remove-sas', set });
    if (set.ue.portC !== this.#portC && !this.#setUses(set.ue.portC)) this.#o.act({ kind: 'release-client-port', port: set.ue.portC });
  }

  #contactPort(): number {
    return this.#ipsec ? this.#cfg.protectedPorts!.portS : this.#cfg.unprotectedPort;
  }

  #credentialsAuthorization(): string {
    const c = this.#creds;
    if (!c) return initialAuthorization(this.#cfg.impi, this.#cfg.homeDomain);
    c.nc += 1;
    const uri = `sip:${this.#cfg.homeDomain}`;
    const cnonce = c.qop ? this.#random.token() : undefined;
    const response = computeResponse({
      username: this.#cfg.impi, realm: c.realm, password: c.password, method: 'REGISTER', uri, nonce: c.nonce,
      ...(c.qop ? { qop: c.qop, nc: c.nc, cnonce: cnonce! } : {}),
    });
    return formatAuthorization({
      username: this.#cfg.impi, realm: c.realm, nonce: c.nonce, uri, response, algorithm: c.algorithm,
      ...(c.qop ? { qop: c.qop, nc: c.nc, cnonce: cnonce! } : {}),
      ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
    });
  }

  #sendRegister(kind: PendingKind, expires = kind === 'dereg' ? 0 : this.#expiresWanted): void {
    const ipsec = this.#ipsec;
    // which SA set (if any) carries it: the new one for the answer to a challenge, else the current
    const via = (kind === 'auth' || kind === 'dereg') && this.#newSas ? this.#newSas : this.#sas ? { set: this.#sas, server: this.#server! } : undefined;
    const flow: Flow = ipsec && via ? 'protected' : 'unprotected';
    let authorization: string;
    if (kind === 'initial') authorization = initialAuthorization(this.#cfg.impi, this.#cfg.homeDomain);
    else if (kind === 'resync' || kind === 'mac-failure') authorization = this.#resyncAuthorization;
    else authorization = this.#credentialsAuthorization();
    this.#cseq += 1;
    // the answer to a challenge repeats the Security-Client of the challenged request (TS 33.203 7.2)
    const current = this.#spis && this.#portC !== undefined ? { ...this.#spis, portC: this.#portC } : undefined;
    const offerSpis = kind === 'auth' || kind === 'dereg' ? (this.#challenge?.spis ?? current) : current;
    const request = buildRegister({
      homeDomain: this.#cfg.homeDomain,
      impu: this.#cfg.impu,
      callId: this.#callId,
      fromTag: this.#fromTag,
      cseq: this.#cseq,
      contactHost: this.#cfg.ueAddress,
      contactPort: this.#contactPort(),
      instanceId: this.#cfg.instanceId,
      expires,
      authorization,
      secAgree: ipsec,
      ...(ipsec && offerSpis ? { securityClient: buildSecurityClient({ ...offerSpis, portS: this.#cfg.protectedPorts!.portS }, this.#cfg.offer ?? DEFAULT_OFFER) } : {}),
      ...(ipsec && via ? { securityVerify: [via.server.raw] } : {}),
      ...(this.#cfg.accessNetworkInfo !== undefined ? { accessNetworkInfo: this.#cfg.accessNetworkInfo } : {}),
      ...(this.#cfg.userAgent !== undefined ? { userAgent: this.#cfg.userAgent } : {}),
    });
    const token = this.#token;
    this.#pending = { token, kind, flow, request };
    const dest: PcscfAddress = flow === 'protected' ? { address: this.pcscf.address, port: via!.server.portS } : this.pcscf;
    this.#log.info('sending REGISTER', { kind, flow, cseq: this.#cseq, expires, pcscf: `${hostForUri(dest.address)}:${dest.port}` });
    this.#o.act({ kind: 'send', token, flow, request, dest, ...(flow === 'protected' ? { portC: via!.set.ue.portC } : {}) });
  }

  #onChallenge(res: SipResponse): void {
    this.#challenges += 1;
    if (this.#challenges > (this.#cfg.maxChallenges ?? 2)) {
      this.#fail({ kind: 'too-many-challenges', reason: `${this.#challenges} challenges in a row`, status: 401, statusText: res.reason }, true);
      return;
    }
    const www = res.headers.get('WWW-Authenticate');
    let challenge: Challenge;
    let rand: Buffer;
    let autn: Buffer;
    try {
      if (www === undefined) throw new DigestError('401 without WWW-Authenticate');
      const c = parseChallenge(www);
      if (c.algorithm !== 'AKAv1-MD5' && c.algorithm !== 'AKAv2-MD5') throw new DigestError(`algorithm ${c.algorithm} is not IMS AKA`);
      ({ rand, autn } = decodeAkaNonce(c.nonce));
      const spis = this.#spis && this.#portC !== undefined ? { ...this.#spis, portC: this.#portC } : undefined;
      challenge = { realm: c.realm, nonce: c.nonce, algorithm: c.algorithm, qop: chooseQop(c.qop), opaque: c.opaque, server: undefined, spis };
    } catch (e) {
      if (!(e instanceof DigestError)) throw e;
      this.#fail({ kind: 'bad-challenge', reason: e.message, status: 401, statusText: res.reason }, true);
      return;
    }
    if (this.#ipsec) {
      try {
        challenge.server = chooseMechanism(res.headers.getAll('Security-Server'), this.#cfg.offer ?? DEFAULT_OFFER);
      } catch (e) {
        if (!(e instanceof SecAgreeError)) throw e;
        this.#fail({ kind: 'sec-agree', reason: `${e.kind}: ${e.message}`, status: 401, statusText: res.reason }, true);
        return;
      }
      // an unused new set from an earlier challenge of this attempt
      this.#dropNewSas();
    }
    this.#challenge = challenge;
    if (this.#state !== 'reregistering' && this.#state !== 'deregistering') this.#setState('authenticating');
    this.#o.act({ kind: 'authenticate', token: this.#token, rand, autn });
  }

  #onIntervalTooBrief(res: SipResponse, kind: PendingKind): void {
    // RFC 3261 10.2.8: retry with at least Min-Expires
    const min = Number(res.headers.get('Min-Expires'));
    if (!Number.isInteger(min) || min <= this.#expiresWanted) {
      this.#fail({ kind: 'unexpected-response', reason: `423 with unusable Min-Expires "${res.headers.get('Min-Expires') ?? ''}"`, status: 423, statusText: res.reason }, true);
      return;
    }
    this.#expiresWanted = min;
    this.#sendRegister(kind);
  }

  #isOurContact(c: { uri: string; params?: Map<string, string> }): boolean {
    const inst = c.params?.get('+sip.instance');
    if (inst !== undefined && inst.replace(/^"|"$/g, '') === `<${this.#cfg.instanceId}>`) return true;
    const hp = `${hostForUri(this.#cfg.ueAddress)}:${this.#contactPort()}`.toLowerCase();
    const m = /^sips?:(?:[^@]*@)?([^;?>]+)/i.exec(c.uri.trim().replace(/^</, ''));
    return m !== null && m[1]!.toLowerCase() === hp;
  }

  #onRegistered(res: SipResponse): void {
    // expiry: our Contact's expires parameter, else Expires, else what we asked for (RFC 3261 10.2.4)
    let expires: number | undefined;
    for (const c of res.contacts) {
      if (c === '*') continue;
      const params = new Map<string, string>();
      for (const [k, v] of c.params.entries()) params.set(k, v ?? '');
      if (this.#isOurContact({ uri: formatUri(c.uri), params })) {
        const e = c.params.get('expires');
        if (typeof e === 'string' && /^\d+$/.test(e)) expires = Number(e);
      }
    }
    if (expires === undefined) {
      const h = res.headers.get('Expires');
      expires = h !== undefined && /^\d+$/.test(h.trim()) ? Number(h.trim()) : this.#expiresWanted;
    }
    if (expires === 0) {
      this.#fail({ kind: 'unexpected-response', reason: '2xx granted no registration time', status: res.status, statusText: res.reason }, true);
      return;
    }
    // TS 33.203 7.4: the 200 came over the new SAs, so the P-CSCF uses them: they carry every new
    // request from now on; the old set stays only for the transactions that began on it
    if (this.#newSas) {
      const old = this.#sas;
      this.#sas = this.#newSas.set;
      this.#server = this.#newSas.server;
      this.#newSas = undefined;
      this.#o.act({ kind: 'sa-set-in-use', set: this.#sas });
      if (old) this.#retire(old);
    }
    this.#failures = 0;
    this.#challenges = 0;
    this.#challenge = undefined;
    // TS 24.229 5.1.1.2.2: P-Associated-URI, first is the default IMPU; Service-Route is the route set
    const associated = uris(res.headers.getAll('P-Associated-URI'));
    const serviceRoute = res.headers.getAll('Service-Route').map((v) => v.trim());
    const def = associated[0] ?? this.#cfg.impu;
    this.#snapshot = {
      state: 'registered',
      pcscf: { ...this.pcscf },
      impus: associated.length > 0 ? associated : [this.#cfg.impu],
      defaultImpu: def,
      expires,
      serviceRoute,
      ...(this.#server ? { secAgree: { alg: this.#server.alg, ealg: this.#server.ealg } } : {}),
    };
    this.#registeredUntil = this.#o.clock.now() + expires * 1000;
    this.#scheduleReRegister(expires);
    this.#setState('registered');
    if (!this.#subscribed) this.#subscribe();
  }

  #retire(set: InstalledSaSet): void {
    const ms = this.#cfg.oldSaSetGraceMs ?? 32_000;
    this.#log.info('old SA set kept for its transactions', { set: set.id, ms });
    const timer = this.#o.clock.setTimer(ms, () => {
      this.#retiring.delete(set);
      this.#removeSet(set);
    });
    this.#retiring.set(set, timer);
  }

  #subscribe(): void {
    this.#subscribed = true;
    const flow: Flow = this.#sas ? 'protected' : 'unprotected';
    const port = this.#sas ? this.#server!.portS : this.pcscf.port;
    // TS 24.229 5.1.2A.1.1: Route = P-CSCF (protected server port) then the Service-Route
    const routes = [`<sip:${hostForUri(this.pcscf.address)}:${port};lr>`, ...this.#snapshot.serviceRoute];
    const headers: Array<[string, string]> = [['P-Preferred-Identity', `<${this.#snapshot.defaultImpu ?? this.#cfg.impu}>`]];
    if (this.#sas) headers.push(['Require', 'sec-agree'], ['Proxy-Require', 'sec-agree'], ['Security-Verify', this.#server!.raw]);
    this.#o.act({ kind: 'subscribe', flow, impu: this.#snapshot.defaultImpu ?? this.#cfg.impu, routes, headers });
  }

  #scheduleReRegister(expires: number): void {
    this.#clearTimer();
    const delay = reRegisterDelaySeconds(expires) * 1000;
    this.#timer = this.#o.clock.setTimer(delay, () => {
      this.#timer = undefined;
      this.#reRegister();
    });
  }

  /** TS 24.229 5.1.1.4.1: refresh over the existing SAs, offering fresh SPIs for a possible re-authentication */
  #reRegister(): void {
    if (this.#state !== 'registered') return;
    this.#newToken();
    this.#challenges = 0;
    this.#setState('reregistering');
    if (this.#ipsec) {
      this.#nextKind = 're';
      this.#allocateSpis();
    } else this.#sendRegister('re');
  }

  #finishDereg(problem: string | undefined): void {
    this.#teardown();
    if (problem) this.#snapshot.lastFailure = { kind: 'unexpected-response', reason: problem };
    this.#setState('deregistered');
  }

  #dropNewSas(): void {
    if (this.#newSas) {
      const { set } = this.#newSas;
      this.#newSas = undefined;
      this.#removeSet(set);
    }
  }

  /** Forget the attempt: pending request, SAs (removed), subscription, credentials. */
  #teardown(silently = false): void {
    this.#newToken();
    this.#pending = undefined;
    this.#dropNewSas();
    for (const [set, timer] of this.#retiring) {
      this.#o.clock.clearTimer(timer);
      this.#retiring.delete(set);
      this.#removeSet(set);
    }
    if (this.#sas) {
      const set = this.#sas;
      this.#sas = undefined;
      this.#server = undefined;
      this.#removeSet(set);
    }
    if (this.#subscribed) {
      this.#subscribed = false;
      this.#o.act({ kind: 'unsubscribe', ...(silently ? { silently } : {}) });
    }
    this.#o.clock.clearTimer(this.#subscribeTimer);
    this.#subscribeTimer = undefined;
    this.#creds = undefined;
    this.#challenge = undefined;
    this.#spis = undefined;
    this.#registeredUntil = undefined;
    this.#snapshot.impus = [];
    delete this.#snapshot.defaultImpu;
    delete this.#snapshot.expires;
    delete this.#snapshot.secAgree;
    this.#snapshot.serviceRoute = [];
  }

  /**
   * A re-registration that failed otherwise than TS 24.229 5.1.1.4.1 names (there: 408, 500, 504,
   * Timer F → #registerAfresh; here: e.g. 503, other 4xx/5xx, a transport error) does not end the
   * registration: its binding at the S-CSCF (and the P-CSCF's SAs) stay valid until it expires
   * (RFC 3261 10.3 step 7: a registrar commits binding updates only when all of them succeed, so a
   * failed refresh leaves the binding as it was), so the UE stays registered,
   * keeps the current SA set (TS 33.203 7.4: a new set that was not taken into use goes) and the
   * subscription, and tries the re-registration again after the RFC 5626 4.5 back-off
   * (Retry-After wins). Only when the registration has expired meanwhile does it start an
   * initial registration (TS 24.229 5.1.1.2). Returns false when this does not apply.
   */
  #keepRegistration(failure: RegistrationFailure, retryAfterSeconds?: number): boolean {
    if (this.#state !== 'reregistering' || this.#registeredUntil === undefined) return false;
    if (this.#ipsec && !this.#sas) return false;
    const left = this.#registeredUntil - this.#o.clock.now();
    if (left <= 0) return false;
    this.#clearTimer();
    this.#newToken();
    this.#pending = undefined;
    this.#dropNewSas();
    this.#challenge = undefined;
    this.#challenges = 0;
    this.#failures += 1;
    const seconds = retryAfterSeconds ?? backoffSeconds(this.#failures, (this.#o.jitter ?? Math.random)(), this.#cfg.backoff);
    const ms = Math.round(seconds * 1000);
    if (ms < left) {
      this.#snapshot.lastFailure = { ...failure, retryInMs: ms };
      this.#log.warning('re-registration failed: still registered, trying again', { kind: failure.kind, status: failure.status, retryInMs: ms, expiresInMs: Math.round(left) });
      this.#timer = this.#o.clock.setTimer(ms, () => {
        this.#timer = undefined;
        this.#reRegister();
      });
    } else {
      // no retry fits before the expiry: when the registration has run out, register anew
      const expiresIn = Math.ceil(left);
      this.#snapshot.lastFailure = { ...failure, retryInMs: expiresIn };
      this.#log.warning('re-registration failed: still registered until the registration expires', { kind: failure.kind, status: failure.status, expiresInMs: expiresIn });
      this.#timer = this.#o.clock.setTimer(expiresIn, () => {
        this.#timer = undefined;
        this.#registrationExpired();
      });
    }
    this.#setState('registered');
    return true;
  }

  /**
   * TS 24.229 5.1.1.4.1: the re-registration failed in a way that ends the registration flow
   * (408/500/504, or Timer F: `nextPcscf`): forget it (SAs, the subscription without an
   * un-SUBSCRIBE, which no SA could carry any more) and start an initial registration at once.
   */
  #registerAfresh(failure: RegistrationFailure, nextPcscf: boolean): void {
    this.#log.warning('re-registration failed: initial registration', { kind: failure.kind, status: failure.status, nextPcscf });
    this.#clearTimer();
    this.#teardown(true);
    if (nextPcscf) this.#pcscfIndex = (this.#pcscfIndex + 1) % this.#cfg.pcscfs.length;
    this.#failures = 0;
    this.#snapshot.lastFailure = failure;
    this.#beginInitial();
  }

  /** the registration ran out without a successful re-registration */
  #registrationExpired(): void {
    if (this.#state !== 'registered') return;
    this.#log.notice('registration expired: registering again');
    this.#teardown();
    this.#snapshot.lastFailure = { kind: 'timeout', reason: 'registration expired without a successful re-registration' };
    this.#beginInitial();
  }

  #fail(failure: RegistrationFailure, retry: boolean, retryAfterSeconds?: number): void {
    if (this.#state === 'deregistering') {
      // whatever went wrong, a de-registration ends here (and takes the SAs with it)
      this.#finishDereg(`${failure.kind}: ${failure.reason}`);
      return;
    }
    this.#clearTimer();
    this.#teardown();
    if (!retry) {
      this.#snapshot.lastFailure = failure;
      this.#log.error('registration failed', { kind: failure.kind, reason: failure.reason, status: failure.status });
      this.#setState('failed');
      return;
    }
    this.#failures += 1;
    // RFC 5626 4.5 back-off, then the next P-CSCF of the list
    const seconds = retryAfterSeconds ?? backoffSeconds(this.#failures, (this.#o.jitter ?? Math.random)(), this.#cfg.backoff);
    const ms = Math.round(seconds * 1000);
    this.#pcscfIndex = (this.#pcscfIndex + 1) % this.#cfg.pcscfs.length;
    this.#snapshot.lastFailure = { ...failure, retryInMs: ms };
    this.#log.warning('registration attempt failed', { kind: failure.kind, reason: failure.reason, status: failure.status, retryInMs: ms, next: this.pcscf.address });
    this.#setState('backoff');
    this.#timer = this.#o.clock.setTimer(ms, () => {
      this.#timer = undefined;
      this.#beginInitial();
    });
  }

  #clearTimer(): void {
    this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #setState(s: RegistrationState): void {
    this.#state = s;
    this.#snapshot.state = s;
    this.#emitState();
  }

  #emitState(): void {
    this.#o.act({ kind: 'state', snapshot: this.snapshot });
  }
}
