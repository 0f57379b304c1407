// The registration service: the thin I/O shell around RegistrationMachine. It follows the modem
// driver's IMS PDN, binds the SIP transports on the PDN address (the unprotected flow and, with
// sec-agree, the protected port-c/port-s pair of TS 33.203 7.1), runs the machine's actions (client
// transactions, AKA on the SimCard, SAs through the IpsecManager, the reg-event subscription) and
// feeds the results back. One session per PDN: a lost or changed PDN ends it.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { SimCard } from '../../auth/sim/sim-card.js';
import type { InstalledSaSet, IpsecManager } from '../../ipsec/types.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import { SystemClock, type Clock, type TimerHandle } from '../../sip/clock.js';
import { SipEndpoint } from '../../sip/endpoint.js';
import { parseNameAddr } from '../../sip/header-values.js';
import type { TimerValues } from '../../sip/transactions/index.js';
import { SubscriptionClient, UserAgentCore, type IncomingCall, type IncomingCallHandlers } from '../../sip/user-agents/index.js';
import type { SessionTimerConfig } from '../../sip/session-timer/negotiation.js';
import { parseUri } from '../../sip/uri.js';
import { SipTransport } from '../../transport/sip-transport.js';
import type { ModemDriver, PdnInfo } from '../../../modem-drivers/driver.js';
import { contactOf } from './register-request.js';
import { RegistrationMachine, type Flow, type RegistrationAction, type RegistrationConfig, type RegistrationSnapshot } from './machine.js';
import type { AlgorithmPair } from './sec-agree.js';
import { backoffSeconds, type BackoffOptions } from './timing.js';
import { RegistrationStateError } from './errors.js';
import { isIP } from 'node:net';
import { stampAccessNetworkInfo } from '../access-network-info.js';

export interface StartRegistrationOptions {
  driver: ModemDriver;
  sim: SimCard;
  ipsec: IpsecManager | 'none';
  logger?: Logger;
  clock?: Clock;
  /** P-CSCF addresses to use instead of the PDN's list */
  pcscf?: string[];
  /** the P-CSCF's unprotected port (default 5060) */
  pcscfPort?: number;
  /** local unprotected port (default 5060; 0 = ephemeral) */
  localPort?: number;
  /** protected client/server ports (default: ephemeral) */
  protectedPorts?: { portC: number; portS: number };
  /** public identity to register (default the SIM's first IMPU) */
  impu?: string;
  instanceId?: string;
  expires?: number;
  offer?: AlgorithmPair[];
  backoff?: BackoffOptions;
  timers?: Partial<TimerValues>;
  userAgent?: string;
  /**
   * RFC 3261 18.1.1: requests larger than this go over TCP (default: the PDN's MTU less 200 bytes).
   * A full Security-Client offer makes REGISTER larger than 1300 bytes.
   */
  udpSizeThreshold?: number;
  /** ask the driver to bring the IMS PDN up (default true) */
  activatePdn?: boolean;
  /** session timer policy for calls on this registration's flows (RFC 4028; default: none) */
  sessionTimer?: SessionTimerConfig | false;
  /** how long an SA set replaced by a re-authentication stays for its transactions (ms, default 32 s; TS 33.203 7.4) */
  oldSaSetGraceMs?: number;
  /** option tags the user agent supports (default 100rel, plus timer with session timers) */
  supported?: string[];
}

/**
 * The SIP stack of a registration session, for the services that ride on it (calls). The core of
 * the protected flow (or the only one without sec-agree) sends every request to the P-CSCF; it
 * lives as long as the session (the PDN), across re-registrations and new SAs.
 */
export interface SipContext {
  core: UserAgentCore;
  ueAddress: string;
  homeDomain: string;
  impi: string;
}

/** takes an incoming INVITE; without a handler imsd answers 480 (TS 24.229 5.1.4) */
export type InviteHandler = (call: IncomingCall, sip: SipContext) => IncomingCallHandlers | void;

export interface RegistrationEvents {
  state: (snapshot: RegistrationSnapshot) => void;
}

export interface Registration {
  readonly events: EventEmitter;
  readonly snapshot: RegistrationSnapshot;
  /** de-register (expires 0); resolves once de-registered or the attempt ended; stays so (PDN changes included) until register() */
  deregister(): Promise<void>;
  /** register again after deregister() (or after a failure that stopped retrying) */
  register(): Promise<void>;
  /** de-register if registered (waiting at most `timeoutMs`), then close sockets and remove every SA */
  stop(timeoutMs?: number): Promise<void>;
  /** the current session's SIP stack; undefined without a session (no PDN); see `snapshot` for the state */
  readonly sip: SipContext | undefined;
  /** who takes incoming INVITEs */
  onInvite: InviteHandler | undefined;
}

interface Session {
  machine: RegistrationMachine;
  sip: SipContext;
  transports: SipTransport[];
  /** the sec-agree transport (port-s and the client ports of the SA sets) */
  protectedTransport: SipTransport | undefined;
  endpoints: Map<Flow, { endpoint: SipEndpoint; core: UserAgentCore }>;
  subscription: SubscriptionClient | undefined;
  pdn: PdnInfo;
}

function pickAddress(pdn: PdnInfo, pcscf: string): string | undefined {
  const family = isIP(pcscf);
  return pdn.addresses.find((a) => isIP(a) === family);
}

class RegistrationService implements Registration {
  readonly events = new EventEmitter();
  onInvite: InviteHandler | undefined;
  readonly #o: StartRegistrationOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #instanceId: string;
  #session: Session | undefined;
  #snapshot: RegistrationSnapshot = { state: 'idle', impus: [], serviceRoute: [] };
  #stopped = false;
  /** de-registered on request: PDN events do not start a registration */
  #held = false;
  readonly #removals = new Set<Promise<void>>();
  #chain: Promise<void> = Promise.resolve();
  readonly #onPdnUp = (pdn: PdnInfo): void => this.#serial(() => this.#begin(pdn));
  /** a session that could not even start (no usable address, a port in use, the SIM) is tried again */
  #retry: TimerHandle | undefined;
  #startFailures = 0;
  readonly #onPdnChanged = (pdn: PdnInfo): void =>
    this.#serial(async () => {
      const s = this.#session;
      if (s && s.pdn.addresses.join() === pdn.addresses.join() && s.pdn.pcscf.join() === pdn.pcscf.join()) {
        // only the cell (or MTU) changed: the registration stays; later requests say where we are now
        if (s.pdn.accessNetworkInfo !== pdn.accessNetworkInfo) {
          // the cell says where the phone is: its value only at debug
          this.#log.info(pdn.accessNetworkInfo === undefined ? 'access network no longer known' : 'access network changed');
          this.#log.debug('access network', { accessNetworkInfo: pdn.accessNetworkInfo ?? 'unknown' });
          s.machine.setAccessNetworkInfo(pdn.accessNetworkInfo);
        }
        s.pdn = pdn;
        return;
      }
      this.#log.notice('IMS PDN changed: registering again', { addresses: pdn.addresses.join(' '), pcscf: pdn.pcscf.join(' ') });
      await this.#end('PDN changed');
      await this.#begin(pdn);
    });
  readonly #onPdnDown = (reason: string): void => this.#serial(() => this.#end(`PDN down: ${reason}`));
  readonly #onReset = (): void =>
    this.#serial(async () => {
      await this.#end('modem reset');
      // the modem forgot the PDN: ask for it again (pdn-up then starts a new registration)
      if (!this.#stopped && this.#o.activatePdn !== false) await this.#activate();
    });

  constructor(options: StartRegistrationOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child('ims/registration');
    this.#clock = options.clock ?? new SystemClock();
    this.#instanceId = options.instanceId ?? `urn:uuid:${randomUUID()}`;
  }

  get snapshot(): RegistrationSnapshot {
    return structuredClone(this.#snapshot);
  }

  get sip(): SipContext | undefined {
    return this.#session?.sip;
  }

  #invite(call: IncomingCall, s: Session): IncomingCallHandlers | void {
    const handler = this.onInvite;
    if (!handler) {
      this.#log.info('incoming call refused: no call service', { from: call.request.headers.get('From') });
      call.reject(480, 'no call service');
      return;
    }
    return handler(call, s.sip);
  }

  /** run PDN reactions one after the other */
  #serial(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((e: unknown) => {
      this.#startFailures += 1;
      const ms = Math.round(backoffSeconds(this.#startFailures, Math.random(), this.#o.backoff) * 1000);
      this.#log.error('registration session could not start', { error: (e as Error).message, retryInMs: ms });
      this.#publish({ ...this.#snapshot, state: 'failed', lastFailure: { kind: 'network', reason: (e as Error).message, retryInMs: ms } });
      this.#clock.clearTimer(this.#retry);
      this.#retry = this.#clock.setTimer(ms, () => {
        this.#retry = undefined;
        const pdn = this.#o.driver.pdn;
        if (pdn && !this.#session) this.#onPdnUp(pdn);
      });
    });
  }

  async init(): Promise<void> {
    const d = this.#o.driver;
    d.on('pdn-up', this.#onPdnUp);
    d.on('pdn-changed', this.#onPdnChanged);
    d.on('pdn-down', this.#onPdnDown);
    d.on('modem-reset', this.#onReset);
    if (this.#o.ipsec !== 'none') {
      const n = await this.#o.ipsec.removeStale();
      if (n > 0) this.#log.notice('removed SAs left by an earlier run', { count: n });
    }
    if (d.pdn) this.#onPdnUp(d.pdn);
    else if (this.#o.activatePdn !== false) await this.#activate();
  }

  #activationFailures = 0;

  /**
   * Ask the driver for the IMS PDN; a refusal (no modem yet, not attached, an error) is a failed
   * state with a retry time, and the service asks again after the back-off instead of giving up.
   */
  async #activate(): Promise<void> {
    try {
      await this.#o.driver.activateImsPdn();
      this.#activationFailures = 0;
    } catch (e) {
      this.#activationFailures += 1;
      const ms = Math.round(backoffSeconds(this.#activationFailures, Math.random(), this.#o.backoff) * 1000);
      const reason = `the IMS PDN could not be activated: ${(e as Error).message}`;
      this.#log.error('IMS PDN activation failed', { error: (e as Error).message, retryInMs: ms });
      this.#publish({ ...this.#snapshot, state: 'failed', lastFailure: { kind: 'network', reason, retryInMs: ms } });
      this.#clock.clearTimer(this.#retry);
      this.#retry = this.#clock.setTimer(ms, () => {
        this.#retry = undefined;
        if (!this.#stopped && !this.#held && !this.#session && !this.#o.driver.pdn) void this.#activate();
      });
    }
  }

  #publish(s: RegistrationSnapshot): void {
    this.#snapshot = s;
    this.events.emit('state', structuredClone(s));
  }

  async #begin(pdn: PdnInfo): Promise<void> {
    if (this.#stopped || this.#held || this.#session) return;
    const pcscfList = this.#o.pcscf ?? pdn.pcscf;
    if (pcscfList.length === 0) throw new RegistrationStateError('no P-CSCF address (neither configured nor from the PDN)');
    const ueAddress = pickAddress(pdn, pcscfList[0]!);
    if (!ueAddress) throw new RegistrationStateError(`no PDN address of the P-CSCF's family (${pcscfList[0]})`);
    const ids = await this.#o.sim.identities();
    const ipsec = this.#o.ipsec !== 'none';
    const transports: SipTransport[] = [];
    try {
      const udpSizeThreshold = this.#o.udpSizeThreshold ?? pdn.mtu - 200;
      const unprotected = await SipTransport.open({ localAddress: ueAddress, portS: this.#o.localPort ?? 5060, udpSizeThreshold });
      transports.push(unprotected);
      let protectedT: SipTransport | undefined;
      if (ipsec) {
        protectedT = await SipTransport.open({ localAddress: ueAddress, portS: this.#o.protectedPorts?.portS ?? 0, portC: this.#o.protectedPorts?.portC ?? 0, udpSizeThreshold });
        transports.push(protectedT);
      }
      for (const t of transports) {
        t.on('error', (e) => this.#log.warning('transport error', { error: e.message }));
        t.on('invalid', (e) => this.#log.warning('unparsable message dropped', { from: `${e.remote.address}:${e.remote.port}`, error: e.error.message, answered: e.answered }));
      }
      const ports = protectedT ? { portC: protectedT.portC!, portS: protectedT.portS } : undefined;
      // TS 24.229 5.1.1.2.1: Contact and Via carry the protected server port from the first REGISTER on
      const contactPort = ports ? ports.portS : unprotected.portS;
      const endpoints = new Map<Flow, { endpoint: SipEndpoint; core: UserAgentCore }>();
      const mk = (t: SipTransport, flow: Flow): { endpoint: SipEndpoint; core: UserAgentCore } => {
        const core = new UserAgentCore({
          clock: this.#clock,
          // every request goes to the P-CSCF, whatever the Route set names (TS 24.229 5.1.2A.1.1)
          route: () => ({ ...session.machine.destination(flow), protocol: 'udp' }),
          contact: contactOf(ueAddress, contactPort, this.#instanceId),
          sessionTimer: this.#o.sessionTimer ?? false,
          ...(this.#o.supported ? { supported: this.#o.supported } : {}),
          onInvite: (call) => this.#invite(call, session),
          ...(this.#o.userAgent !== undefined ? { userAgent: this.#o.userAgent } : {}),
          onRejected: (req, status, why) => this.#log.info('request answered by the core', { method: req.method, status, why }),
        });
        const endpoint = new SipEndpoint({
          transport: t,
          clock: this.#clock,
          tu: core,
          sentBy: { host: ueAddress, port: contactPort },
          ...(this.#o.timers ? { timers: this.#o.timers } : {}),
          // calls, the reg-event subscription and their responses carry the cell the modem reports now
          beforeSend: (m) => stampAccessNetworkInfo(m, session.pdn.accessNetworkInfo),
        });
        core.attach(endpoint.layer);
        return { endpoint, core };
      };
      const session: Session = { machine: undefined as unknown as RegistrationMachine, sip: undefined as unknown as SipContext, transports, protectedTransport: protectedT, endpoints, subscription: undefined, pdn };
      const u = mk(unprotected, 'unprotected');
      endpoints.set('unprotected', u);
      const p = protectedT ? mk(protectedT, 'protected') : u;
      endpoints.set('protected', p);
      session.sip = { core: p.core, ueAddress, homeDomain: ids.homeDomain, impi: ids.impi };
      const config: RegistrationConfig = {
        impi: ids.impi,
        impu: this.#o.impu ?? ids.impus[0] ?? `sip:${ids.impi}`,
        homeDomain: ids.homeDomain,
        ueAddress,
        pcscfs: pcscfList.map((address) => ({ address, port: this.#o.pcscfPort ?? 5060 })),
        secAgree: ipsec ? 'ipsec-3gpp' : 'none',
        unprotectedPort: unprotected.portS,
        ...(ports ? { protectedPorts: ports } : {}),
        instanceId: this.#instanceId,
        ...(this.#o.expires !== undefined ? { expires: this.#o.expires } : {}),
        ...(this.#o.offer ? { offer: this.#o.offer } : {}),
        ...(pdn.accessNetworkInfo !== undefined ? { accessNetworkInfo: pdn.accessNetworkInfo } : {}),
        ...(this.#o.userAgent !== undefined ? { userAgent: this.#o.userAgent } : {}),
        ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
        ...(this.#o.oldSaSetGraceMs !== undefined ? { oldSaSetGraceMs: this.#o.oldSaSetGraceMs } : {}),
      };
      session.machine = new RegistrationMachine({ config, clock: this.#clock, logger: this.#log, act: (a) => this.#act(session, a) });
      this.#session = session;
      this.#startFailures = 0;
      this.#log.info('starting registration', { ue: ueAddress, port: unprotected.portS, pcscf: pcscfList.join(' '), secAgree: config.secAgree, portC: ports?.portC, portS: ports?.portS, impi: ids.impi });
      session.machine.start();
    } catch (e) {
      for (const t of transports) await t.close().catch(() => undefined);
      throw e;
    }
  }

  #act(s: Session, a: RegistrationAction): void {
    try {
      this.#perform(s, a);
    } catch (e) {
      // a request that cannot even be handed to the transport fails like a transport error
      this.#log.error('action failed', { action: a.kind, error: (e as Error).message });
      if (a.kind === 'send') s.machine.requestFailed(a.token, 'transport', (e as Error).message);
      else if (a.kind === 'subscribe') s.machine.subscriptionEnded('failed');
    }
  }

  #perform(s: Session, a: RegistrationAction): void {
    const m = s.machine;
    switch (a.kind) {
      case 'state':
        if (s === this.#session) this.#publish(a.snapshot);
        return;
      case 'send': {
        const { endpoint } = s.endpoints.get(a.flow)!;
        // the REGISTER goes over the SA set the machine chose, i.e. from that set's client port
        if (a.portC !== undefined) s.protectedTransport?.useClientPort(a.portC, a.dest);
        endpoint.layer.sendRequest(a.request, { address: a.dest.address, port: a.dest.port, protocol: 'udp' }, {
          onResponse: (res) => m.response(a.token, res),
          onTimeout: (e) => m.requestFailed(a.token, 'timeout', e.message),
          onTransportError: (e) => m.requestFailed(a.token, 'transport', e.message),
        });
        return;
      }
      case 'allocate-spis': {
        // TS 33.203 7.4: a new SA set gets a new protected client port; port-s stays
        const t = s.protectedTransport;
        const port = a.clientPort && t ? t.addClientPort() : Promise.resolve(undefined);
        port
          .then(async (portC) => {
            try {
              const spis = await this.#ipsecOp(() => this.#ipsec().allocateSpis());
              return portC === undefined ? spis : { ...spis, portC };
            } catch (e) {
              if (portC !== undefined) await t!.closeClientPort(portC).catch(() => undefined);
              throw e;
            }
          })
          .then((spis) => m.spisAllocated(a.token, spis), (e: Error) => m.actionFailed(a.token, 'ipsec', e));
        return;
      }
      case 'sa-set-in-use':
        s.protectedTransport?.useClientPort(a.set.ue.portC);
        this.#log.info('SA set in use', { set: a.set.id, portC: a.set.ue.portC });
        return;
      case 'release-client-port':
        s.protectedTransport?.closeClientPort(a.port).catch((e: Error) => this.#log.warning('could not close a client port', { port: a.port, error: e.message }));
        return;
      case 'authenticate':
        this.#o.sim.authenticate(a.rand, a.autn).then((r) => m.authenticated(a.token, r), (e: Error) => m.actionFailed(a.token, 'sim', e));
        return;
      case 'install-sas':
        this.#ipsecOp(() => this.#ipsec().install(a.spec))
          .then((set) => m.sasInstalled(a.token, set), (e: Error) => m.actionFailed(a.token, 'ipsec', e));
        return;
      case 'remove-sas':
        this.#remove(a.set);
        return;
      case 'subscribe': {
        const { core } = s.endpoints.get(a.flow)!;
        const aor = parseNameAddr(`<${a.impu}>`);
        const client = new SubscriptionClient(core, {
          uri: parseUri(a.impu),
          to: aor,
          from: aor,
          event: 'reg',
          accept: ['application/reginfo+xml'],
          expires: 600000,
          routes: a.routes.map((r) => parseNameAddr(r, 'Route')),
          headers: a.headers,
          // a subscription the machine has ended (un-SUBSCRIBEd or dropped) speaks no more for the registration
          onNotify: (n, ss) => {
            if (s.subscription === client) m.reginfo(n.body.toString('utf8'), { subscriptionTerminated: ss.state === 'terminated' });
          },
          onTerminated: (why) => {
            if (s.subscription === client) s.subscription = undefined;
            m.subscriptionEnded(why.reason, why.retryAfter);
          },
        });
        s.subscription = client;
        client.subscribe();
        return;
      }
      case 'unsubscribe': {
        const c = s.subscription;
        s.subscription = undefined;
        if (a.silently) c?.subscriber.close();
        else c?.unsubscribe();
        return;
      }
    }
  }

  #ipsec(): IpsecManager {
    if (this.#o.ipsec === 'none') throw new RegistrationStateError('no IpsecManager');
    return this.#o.ipsec;
  }

  /** one kernel operation at a time, in the order asked: a removal lands before the next install */
  #ipsecOp<T>(op: () => Promise<T>): Promise<T> {
    const p = this.#ipsecChain.then(op);
    this.#ipsecChain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  #ipsecChain: Promise<void> = Promise.resolve();

  #remove(set: InstalledSaSet): void {
    const p = this.#ipsecOp(() => this.#ipsec().remove(set))
      .catch((e: Error) => this.#log.error('could not remove SAs', { id: set.id, error: e.message }))
      .finally(() => this.#removals.delete(p));
    this.#removals.add(p);
  }

  async #end(reason: string): Promise<void> {
    const s = this.#session;
    if (!s) return;
    this.#session = undefined;
    s.machine.networkLost(reason);
    this.#publish(s.machine.snapshot);
    await this.#close(s);
  }

  async #close(s: Session): Promise<void> {
    for (const { endpoint, core } of new Set(s.endpoints.values())) {
      endpoint.close();
      core.close();
    }
    for (const t of s.transports) await t.close().catch(() => undefined);
    await Promise.all([...this.#removals]);
  }

  #waitFor(states: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (states.includes(this.#snapshot.state)) return resolve();
      const done = (): void => {
        clearTimeout(t);
        this.events.off('state', on);
        resolve();
      };
      const on = (snap: RegistrationSnapshot): void => {
        if (states.includes(snap.state)) done();
      };
      const t = setTimeout(done, timeoutMs);
      this.events.on('state', on);
    });
  }

  async register(): Promise<void> {
    if (this.#stopped) throw new RegistrationStateError('the registration service is stopped');
    this.#held = false;
    await this.#chain;
    const s = this.#session;
    if (s) {
      if (['deregistered', 'failed', 'idle', 'backoff'].includes(s.machine.state)) s.machine.start();
      return;
    }
    const pdn = this.#o.driver.pdn;
    if (pdn) this.#onPdnUp(pdn);
    else await this.#o.driver.activateImsPdn();
    await this.#chain;
  }

  async deregister(timeoutMs = 10000): Promise<void> {
    this.#held = true;
    await this.#chain;
    const s = this.#session;
    if (!s) return;
    const done = this.#waitFor(['deregistered', 'failed', 'idle'], timeoutMs);
    s.machine.deregister();
    await done;
    // the SAs are gone when this resolves
    await Promise.all([...this.#removals]);
  }

  async stop(timeoutMs = 10000): Promise<void> {
    if (this.#stopped) return;
    await this.deregister(timeoutMs);
    this.#stopped = true;
    this.#clock.clearTimer(this.#retry);
    const d = this.#o.driver;
    d.off('pdn-up', this.#onPdnUp);
    d.off('pdn-changed', this.#onPdnChanged);
    d.off('pdn-down', this.#onPdnDown);
    d.off('modem-reset', this.#onReset);
    await this.#chain;
    const s = this.#session;
    if (s) {
      this.#session = undefined;
      if (s.machine.state !== 'deregistered') s.machine.networkLost('stopped');
      await this.#close(s);
    }
    await Promise.all([...this.#removals]);
  }
}

/**
 * Register one subscriber: follows the driver's IMS PDN and keeps the registration up until
 * stop(). State changes arrive as 'state' events on `events`.
 */
export async function startRegistration(options: StartRegistrationOptions): Promise<Registration> {
  const service = new RegistrationService(options);
  await service.init();
  return service;
}
