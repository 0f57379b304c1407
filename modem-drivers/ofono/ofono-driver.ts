// A ModemDriver on top of oFono (a D-Bus client of org.ofono): finds the modem (the configured
// path, else the first with a ConnectionManager, else the first hardware modem), powers it and
// sets it online when the IMS PDN is wanted, and brings up the ConnectionContext of Type "ims"
// (created with AccessPointName "ims" when the modem has none). The context's Settings /
// IPv6.Settings become PdnInfo. Events:
//   context Active true (ours or anyone's)            -> pdn-up
//   Settings/IPv6.Settings change while active       -> pdn-changed
//   Active false, context removed, ConnectionManager gone -> pdn-down (and, while the PDN is
//                                                         wanted, activation again)
//   the modem removed or Powered false                -> modem-reset
//   oFono leaves the bus (NameOwnerChanged)           -> pdn-down, then discovery when it is back
// oFono has no dedicated-bearer or media API: bearerEvents and modemRtp are false and the media
// hooks are recorded (MediaRecorder) until AP RTP exists.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { connectBus, Variant, type BusConnection } from '../../daemon/dbus/binding.js';
import { silentLogger, type Logger } from '../../daemon/log/logger.js';
import type { MediaCapabilities, MediaSession, ModemCapabilities, ModemDriver, ModemDriverEvents, PdnInfo } from '../driver.js';
import { copyPdn, ModemDriverError, samePdn } from '../driver.js';
import { DEFAULT_MEDIA, type MediaRecord } from '../simulated/simulated-driver.js';
import { readContextSettings, type ContextSettings, type InterfaceMtu } from './context-settings.js';
import { MediaRecorder } from './media-recorder.js';
import { accessNetworkInfoOf, readModem, readNetwork, readSim, type ModemState, type NetworkInfo, type SimInfo } from './modem-state.js';
import {
  CONNECTION_CONTEXT,
  CONNECTION_MANAGER,
  ERROR_ATTACH_IN_PROGRESS,
  ERROR_IN_PROGRESS,
  ERROR_NOT_ATTACHED,
  IMS_APN,
  IMS_CONTEXT_TYPE,
  MANAGER,
  MODEM,
  NETWORK_REGISTRATION,
  SIM_MANAGER,
} from './names.js';
import { OfonoCallError, OfonoClient, type OfonoSignal } from './ofono-client.js';
import { asProperties, OfonoPropertyError, optString, type Properties } from './properties.js';

export interface OfonoDriverOptions {
  /** 'system' (DBUS_SYSTEM_BUS_ADDRESS honoured), a unix: address, or an open connection (left open by close()) */
  bus: string | BusConnection;
  /** the oFono modem to use; default: the first with a ConnectionManager, else the first hardware modem */
  modemPath?: string;
  /** APN of an IMS context the driver creates (default "ims") */
  apn?: string;
  /** how long activateImsPdn() waits for oFono, the modem, attach and activation (default 60 s; Infinity: until closed) */
  activateTimeoutMs?: number;
  logger?: Logger;
  /** MTU of a network interface when the context does not say (default: /sys/class/net/<if>/mtu) */
  interfaceMtu?: InterfaceMtu;
  media?: MediaCapabilities;
}

/** The driver's own events besides ModemDriverEvents. */
export interface OfonoDriverEvents extends ModemDriverEvents {
  /** the oFono modem the driver uses (undefined: none) */
  'modem-changed': (path: string | undefined) => void;
  'sim-changed': (sim: SimInfo) => void;
  'network-changed': (network: NetworkInfo) => void;
  /** something oFono sent could not be used (a bad property, a failed background activation) */
  warning: (error: ModemDriverError) => void;
}

/**
 * Activation errors that mean "not now": detached or attaching, another request pending, or the
 * context object gone because the modem is going offline (its Interfaces change comes after).
 */
/** the object or oFono itself went away while a call was on its way (the signal saying so follows) */
const GONE = [
  'org.freedesktop.DBus.Error.UnknownMethod',
  'org.freedesktop.DBus.Error.UnknownObject',
  'org.freedesktop.DBus.Error.UnknownInterface',
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.ServiceUnknown',
];
const WAIT_ON = [ERROR_NOT_ATTACHED, ERROR_ATTACH_IN_PROGRESS, ERROR_IN_PROGRESS, ...GONE];

type Step = { kind: 'up'; pdn: PdnInfo } | { kind: 'waiting'; reason: string };

const sysfsMtu: InterfaceMtu = (name) => {
  try {
    const n = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
};

const hasIface = (m: ModemState | undefined, iface: string): boolean => m?.interfaces.includes(iface) ?? false;

export class OfonoDriver extends EventEmitter implements ModemDriver {
  readonly name = 'ofono';
  readonly capabilities: ModemCapabilities = { modemRtp: false, bearerEvents: false };
  readonly media: MediaCapabilities;
  readonly #o: OfonoDriverOptions;
  readonly #log: Logger;
  readonly #conn: BusConnection;
  readonly #ownsConn: boolean;
  #client!: OfonoClient;
  readonly #recorder: MediaRecorder;
  #modem: ModemState | undefined;
  #sim: SimInfo | undefined;
  #network: NetworkInfo | undefined;
  #context: { path: string; props: Properties } | undefined;
  #settings: ContextSettings | undefined;
  #wanted = false;
  #lastWarning: ModemDriverError | undefined;
  /** signals received so far; a context signal received before #contextFloor is older than what the driver read */
  #received = 0;
  #contextFloor = 0;
  /** Powered/Online requests sent and not yet signalled back ("<path> <property>") */
  readonly #asked = new Set<string>();
  #closed = false;
  /** oFono events are handled one after the other, activation steps between them */
  #chain: Promise<unknown> = Promise.resolve();
  /** counts handled events; activateImsPdn() waits for it to move */
  #generation = 0;
  readonly #wakers = new Set<() => void>();

  private constructor(options: OfonoDriverOptions, conn: BusConnection, ownsConn: boolean) {
    super();
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child('modem/ofono');
    this.#conn = conn;
    this.#ownsConn = ownsConn;
    this.media = structuredClone(options.media ?? DEFAULT_MEDIA);
    this.#recorder = new MediaRecorder(this.media);
  }

  /** Connects, watches org.ofono and discovers the modem (oFono may also come later). */
  static async open(options: OfonoDriverOptions): Promise<OfonoDriver> {
    const ownsConn = typeof options.bus === 'string';
    const conn = typeof options.bus === 'string' ? await connectBus(options.bus) : options.bus;
    const d = new OfonoDriver(options, conn, ownsConn);
    try {
      d.#client = await OfonoClient.open(
        conn,
        (owner) => d.#event(() => d.#onOwner(owner)),
        (s) => {
          const n = ++d.#received;
          d.#event(() => d.#onSignal(s, n));
        },
      );
    } catch (e) {
      await d.close();
      throw e;
    }
    if (d.#client.owner === undefined) d.#log.notice('oFono is not on the bus yet; waiting for it');
    // what oFono says may be unusable now and fine after its restart: a warning, not a failure
    else await d.#serial(() => d.#discover()).catch((e: unknown) => d.#warn(e));
    return d;
  }

  override on<E extends keyof OfonoDriverEvents>(event: E, listener: OfonoDriverEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof OfonoDriverEvents>(event: E, listener: OfonoDriverEvents[E]): this {
    return super.off(event, listener);
  }

  get pdn(): PdnInfo | undefined {
    return this.#settings ? copyPdn(this.#settings.pdn) : undefined;
  }

  /** gateways and DNS servers of the IMS context (not part of PdnInfo) */
  get contextSettings(): ContextSettings | undefined {
    return this.#settings ? structuredClone(this.#settings) : undefined;
  }

  /** the modem's path once the driver uses one, undefined if none within timeoutMs (or closed) */
  waitForModem(timeoutMs: number): Promise<string | undefined> {
    if (this.#modem || this.#closed) return Promise.resolve(this.#modem?.path);
    return new Promise((resolve) => {
      const done = (path: string | undefined): void => {
        if (path === undefined && !this.#closed && Date.now() < end) return;
        clearTimeout(timer);
        this.off('modem-changed', done);
        resolve(path);
      };
      const end = Date.now() + timeoutMs;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.on('modem-changed', done);
    });
  }

  /** the unique bus name of oFono while it is on the bus */
  get ofonoOwner(): string | undefined {
    return this.#client.owner;
  }

  /** companion mode: imsd's objects sit at this path, the oFono modem's */
  get modemPath(): string | undefined {
    return this.#modem?.path;
  }

  get modem(): ModemState | undefined {
    return this.#modem ? structuredClone(this.#modem) : undefined;
  }

  get sim(): SimInfo | undefined {
    return this.#sim ? { ...this.#sim } : undefined;
  }

  get network(): NetworkInfo | undefined {
    return this.#network ? { ...this.#network } : undefined;
  }

  /** the IMS context's object path once known */
  get contextPath(): string | undefined {
    return this.#context?.path;
  }

  get mediaLog(): readonly MediaRecord[] {
    return this.#recorder.log;
  }

  // ---- ModemDriver ----

  async activateImsPdn(): Promise<PdnInfo> {
    this.#check('activateImsPdn');
    this.#wanted = true;
    const timeoutMs = this.#o.activateTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const generation = this.#generation;
      const step = (await this.#serial(() => this.#step('activateImsPdn', true))) as Step;
      if (step.kind === 'up') return copyPdn(step.pdn);
      this.#log.info('IMS PDN not up yet', { waitingFor: step.reason });
      if (!(await this.#nextEvent(generation, deadline))) {
        this.#check('activateImsPdn');
        throw new ModemDriverError('activateImsPdn', `the IMS PDN is not up after ${timeoutMs} ms: ${step.reason}`);
      }
      this.#check('activateImsPdn');
    }
  }

  async deactivateImsPdn(): Promise<void> {
    this.#check('deactivateImsPdn');
    this.#wanted = false;
    await this.#serial(async () => {
      const ctx = this.#context;
      if (ctx && this.#client.owner !== undefined && ctx.props.Active?.value === true) {
        await this.#client.setProperty('deactivateImsPdn', ctx.path, CONNECTION_CONTEXT, 'Active', new Variant('b', false));
        // D-Bus keeps one sender's order: what oFono signalled before this reply is history
        this.#contextFloor = this.#received;
        ctx.props = { ...ctx.props, Active: new Variant('b', false), Settings: new Variant('a{sv}', {}), 'IPv6.Settings': new Variant('a{sv}', {}) };
      }
      this.#down('deactivated');
    });
  }

  async startMedia(session: MediaSession): Promise<void> {
    this.#check('startMedia');
    this.#recorder.start(session);
  }

  async updateMedia(session: MediaSession): Promise<void> {
    this.#check('updateMedia');
    this.#recorder.update(session);
  }

  async stopMedia(callId: string): Promise<void> {
    this.#recorder.stop(callId);
  }

  async sendTones(callId: string, tones: string): Promise<void> {
    this.#check('sendTones');
    this.#recorder.tones(callId, tones);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#wakers) wake();
    await this.#client?.close().catch(() => undefined);
    if (this.#ownsConn) this.#conn.close();
    this.#settings = undefined;
    this.#recorder.clear();
    this.removeAllListeners();
  }

  // ---- sequencing ----

  #check(op: string): void {
    if (this.#closed) throw new ModemDriverError(op, 'driver is closed');
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** an oFono event: handled in order; a failure is a warning, never a crash */
  #event(fn: () => Promise<void> | void): void {
    void this.#serial(async () => {
      if (this.#closed) return;
      try {
        await fn();
      } catch (e) {
        this.#warn(e);
      }
      this.#generation += 1;
      for (const wake of this.#wakers) wake();
      // while the PDN is wanted, every change of oFono's state is a chance to bring it up
      if (this.#wanted && !this.#settings && this.#client.owner !== undefined) {
        try {
          await this.#step('activate IMS PDN', false);
        } catch (e) {
          this.#warn(e);
        }
      }
    });
  }

  /** resolves true when an event was handled after `generation`, false at the deadline */
  #nextEvent(generation: number, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#generation !== generation || this.#closed) return resolve(this.#generation !== generation);
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve(this.#generation !== generation);
      };
      // setTimeout would take Infinity as 1 ms
      const timer = Number.isFinite(deadline) ? setTimeout(wake, Math.max(0, deadline - Date.now())) : undefined;
      this.#wakers.add(wake);
    });
  }

  /** the latest thing oFono sent that could not be used */
  get lastWarning(): ModemDriverError | undefined {
    return this.#lastWarning;
  }

  #warn(e: unknown): void {
    const error = e instanceof ModemDriverError ? e : new ModemDriverError('oFono event', e instanceof Error ? e.message : String(e));
    // the same problem met again (each event retries a wanted activation) is said once
    if (this.#lastWarning?.message === error.message) return;
    this.#lastWarning = error;
    this.#log.warning('oFono: ignored what could not be used', { error: error.message });
    this.emit('warning', error);
  }

  #up(context: ContextSettings): void {
    const before = this.#settings;
    const settings = this.#withCell(context);
    this.#settings = settings;
    if (!before) {
      this.#log.notice('IMS PDN up', { interface: settings.pdn.interface, addresses: settings.pdn.addresses.join(' '), pcscf: settings.pdn.pcscf.join(' ') });
      this.emit('pdn-up', copyPdn(settings.pdn));
    } else if (!samePdn(before.pdn, settings.pdn)) {
      this.#log.notice('IMS PDN changed', { addresses: settings.pdn.addresses.join(' '), pcscf: settings.pdn.pcscf.join(' ') });
      this.emit('pdn-changed', copyPdn(settings.pdn));
    }
  }

  #down(reason: string): void {
    if (!this.#settings) return;
    this.#settings = undefined;
    this.#log.notice('IMS PDN down', { reason });
    this.emit('pdn-down', reason);
  }

  /** the modem went away or off: every PDN and bearer is gone (modem-reset, with no pdn-down) */
  #reset(reason: string): void {
    this.#settings = undefined;
    this.#context = undefined;
    this.#asked.clear();
    this.#recorder.clear();
    this.#log.notice('modem reset', { reason });
    this.emit('modem-reset');
  }

  // ---- activation ----

  /** one step towards the IMS PDN; 'waiting' names what it waits for */
  async #step(op: string, mayPower: boolean): Promise<Step> {
    if (this.#closed) throw new ModemDriverError(op, 'driver is closed');
    if (this.#settings) return { kind: 'up', pdn: this.#settings.pdn };
    if (this.#client.owner === undefined) return { kind: 'waiting', reason: 'oFono (org.ofono) is not on the bus' };
    const m = this.#modem;
    if (!m) return { kind: 'waiting', reason: this.#o.modemPath ? `oFono has no modem ${this.#o.modemPath}` : 'oFono has no modem' };
    // Powered and Online are set only for activateImsPdn(), never in the background: a modem that
    // is switched off or in flight mode stays so until imsd is asked for the PDN again
    for (const [prop, on] of [['Powered', m.powered], ['Online', m.online]] as const) {
      if (on) continue;
      if (!mayPower) return { kind: 'waiting', reason: `modem ${m.path} is not ${prop.toLowerCase()}` };
      const key = `${m.path} ${prop}`;
      if (!this.#asked.has(key)) {
        this.#asked.add(key);
        await this.#client.setProperty(op, m.path, MODEM, prop, new Variant('b', true)).catch((e: unknown) => {
          this.#asked.delete(key); // refused: ask again next time
          throw e;
        });
      }
      return { kind: 'waiting', reason: `modem ${m.path} to become ${prop.toLowerCase()}` };
    }
    if (!hasIface(m, CONNECTION_MANAGER)) return { kind: 'waiting', reason: `modem ${m.path} has no ConnectionManager yet` };
    if (!this.#context) await this.#loadContext(op, true);
    const ctx = this.#context!;
    if (ctx.props.Active?.value !== true) {
      try {
        await this.#client.setProperty(op, ctx.path, CONNECTION_CONTEXT, 'Active', new Variant('b', true));
      } catch (e) {
        if (e instanceof OfonoCallError && WAIT_ON.includes(e.errorName)) {
          return { kind: 'waiting', reason: `context ${ctx.path}: ${e.errorName.replace(/^.*\./, '')}` };
        }
        throw e;
      }
      // the reply comes before the Settings and Active signals (src/gprs.c pri_activate_finish)
      ctx.props = await this.#client.getProperties(op, ctx.path, CONNECTION_CONTEXT);
      this.#contextFloor = this.#received;
      if (ctx.props.Active?.value !== true) return { kind: 'waiting', reason: `context ${ctx.path} activating` };
    }
    this.#up(readContextSettings(ctx.path, ctx.props, this.#o.interfaceMtu ?? sysfsMtu, op));
    return { kind: 'up', pdn: this.#settings!.pdn };
  }

  /** finds the IMS context (creating it when `create`), and takes its PDN when it is already active */
  async #loadContext(op: string, create: boolean): Promise<void> {
    const m = this.#modem!;
    const contexts = await this.#client.objects(op, m.path, CONNECTION_MANAGER, 'GetContexts');
    const at = (path: string) => ({ operation: op, path, iface: CONNECTION_CONTEXT });
    const found = contexts.find(([path, p]) => optString(p, 'Type', at(path)) === IMS_CONTEXT_TYPE);
    if (found) {
      this.#context = { path: found[0], props: found[1] };
    } else {
      if (!create) return;
      const [path] = await this.#client.call(op, m.path, CONNECTION_MANAGER, 'AddContext', 's', [IMS_CONTEXT_TYPE]);
      if (typeof path !== 'string') throw new OfonoPropertyError(op, m.path, CONNECTION_MANAGER, 'AddContext', 'did not return an object path');
      // src/gprs.c gprs_add_context: a new context has no APN; it can be set while inactive
      await this.#client.setProperty(op, path, CONNECTION_CONTEXT, 'AccessPointName', new Variant('s', this.#o.apn ?? IMS_APN));
      this.#log.notice('created the IMS context', { path, apn: this.#o.apn ?? IMS_APN });
      this.#context = { path, props: await this.#client.getProperties(op, path, CONNECTION_CONTEXT) };
    }
    const ctx = this.#context;
    this.#contextFloor = this.#received;
    if (ctx.props.Active?.value === true) this.#up(readContextSettings(ctx.path, ctx.props, this.#o.interfaceMtu ?? sysfsMtu, op));
  }

  // ---- discovery ----

  async #discover(): Promise<void> {
    const op = 'discover oFono modem';
    const modems = await this.#client.objects(op, '/', MANAGER, 'GetModems');
    const states = modems.map(([path, p]) => readModem(path, p, op));
    const want = this.#o.modemPath;
    const pick = want
      ? states.find((m) => m.path === want)
      : (states.find((m) => hasIface(m, CONNECTION_MANAGER)) ?? states.find((m) => m.type === undefined || m.type === 'hardware'));
    if (!pick) {
      this.#log.notice('no usable oFono modem yet', { modems: states.map((m) => m.path).join(' ') || 'none', wanted: want });
      return;
    }
    await this.#adopt(pick, op);
  }

  async #adopt(m: ModemState, op: string): Promise<void> {
    this.#modem = m;
    this.#asked.clear();
    this.#context = undefined;
    this.#sim = undefined;
    this.#network = undefined;
    this.#log.notice('using oFono modem', { path: m.path, powered: m.powered, online: m.online });
    this.emit('modem-changed', m.path);
    await this.#refreshAtoms(op);
  }

  /** reads the SIM, the network and the IMS context of the modem's interfaces that are there now */
  async #refreshAtoms(op: string): Promise<void> {
    const m = this.#modem!;
    if (hasIface(m, SIM_MANAGER) && !this.#sim) this.#setSim(readSim(m.path, await this.#client.getProperties(op, m.path, SIM_MANAGER), op));
    if (hasIface(m, NETWORK_REGISTRATION) && !this.#network) {
      this.#setNetwork(readNetwork(m.path, await this.#client.getProperties(op, m.path, NETWORK_REGISTRATION), op));
    }
    if (hasIface(m, CONNECTION_MANAGER) && !this.#context) await this.#loadContext(op, false);
  }

  #setSim(sim: SimInfo): void {
    this.#sim = sim;
    this.emit('sim-changed', { ...sim });
  }

  #setNetwork(n: NetworkInfo): void {
    this.#network = n;
    this.emit('network-changed', { ...n });
    // a new serving cell while the PDN is up: pdn-changed with the new P-Access-Network-Info
    if (this.#settings) this.#up(this.#settings);
  }

  /** the context's settings with the serving cell's P-Access-Network-Info, when oFono tells it */
  #withCell(settings: ContextSettings): ContextSettings {
    const { accessNetworkInfo: _old, ...pdn } = settings.pdn;
    let value: string | undefined;
    try {
      value = accessNetworkInfoOf(this.#network);
    } catch (e) {
      this.#warn(new ModemDriverError('NetworkRegistration', `no P-Access-Network-Info: ${(e as Error).message}`));
    }
    return { ...settings, pdn: value === undefined ? pdn : { ...pdn, accessNetworkInfo: value } };
  }

  // ---- oFono events ----

  async #onOwner(owner: string | undefined): Promise<void> {
    if (owner === undefined) {
      this.#log.warning('oFono left the bus');
      this.#down('oFono left the bus');
      this.#modem = undefined;
      this.#context = undefined;
      this.#sim = undefined;
      this.#network = undefined;
      this.#recorder.clear();
      this.emit('modem-changed', undefined);
      return;
    }
    this.#log.notice('oFono is on the bus', { owner });
    await this.#discover();
  }

  async #onSignal(s: OfonoSignal, received: number): Promise<void> {
    const op = `${s.iface}.${s.member}`;
    if (s.iface === MANAGER) return this.#onManager(s, op);
    const m = this.#modem;
    if (s.member !== 'PropertyChanged' && s.iface !== CONNECTION_MANAGER) return;
    if (s.iface === CONNECTION_CONTEXT) {
      // Sent before properties the driver has read since (D-Bus keeps one sender's order), or
      // counted in the same read as that reply: read the context again rather than replay history.
      if (received <= this.#contextFloor) return this.#resyncContext(s.path, op);
      return this.#onContextProperty(s, op);
    }
    if (!m || s.path !== m.path) return;
    if (s.iface === CONNECTION_MANAGER) return this.#onConnectionManager(s, op);
    const [name, value] = this.#propertyChanged(s, op);
    const p = { [name]: value };
    if (s.iface === MODEM) return this.#onModemProperty(m, p, op);
    if (s.iface === SIM_MANAGER) this.#setSim(readSim(m.path, p, op, this.#sim));
    else if (s.iface === NETWORK_REGISTRATION) this.#setNetwork(readNetwork(m.path, p, op, this.#network));
  }

  #propertyChanged(s: OfonoSignal, op: string): [string, Variant] {
    const [name, value] = s.body;
    if (typeof name !== 'string' || !(value instanceof Variant)) {
      throw new OfonoPropertyError(op, s.path, s.iface, 'PropertyChanged', 'does not carry (string name, variant value)');
    }
    return [name, value];
  }

  async #onManager(s: OfonoSignal, op: string): Promise<void> {
    if (s.member === 'ModemAdded') {
      const [path, props] = s.body;
      if (typeof path !== 'string') throw new OfonoPropertyError(op, s.path, MANAGER, 'ModemAdded', 'does not carry an object path');
      if (this.#modem) return;
      const m = readModem(path, asProperties(props, { operation: op, path, iface: MODEM }), op);
      if (this.#o.modemPath ? path === this.#o.modemPath : m.type === undefined || m.type === 'hardware' || hasIface(m, CONNECTION_MANAGER)) {
        await this.#adopt(m, op);
      }
    } else if (s.member === 'ModemRemoved') {
      if (s.body[0] !== this.#modem?.path) return;
      this.#log.warning('the oFono modem was removed', { path: s.body[0] });
      if (this.#modem?.powered) this.#reset('modem removed');
      else this.#down('modem removed');
      this.#modem = undefined;
      this.#sim = undefined;
      this.#network = undefined;
      this.emit('modem-changed', undefined);
      await this.#discover();
    }
  }

  async #onModemProperty(m: ModemState, p: Properties, op: string): Promise<void> {
    const next = readModem(m.path, p, op, m);
    this.#modem = next;
    for (const k of Object.keys(p)) this.#asked.delete(`${m.path} ${k}`);
    if (m.powered && !next.powered) {
      this.#reset('modem powered off');
      this.#sim = undefined;
      this.#network = undefined;
      return;
    }
    if (hasIface(m, CONNECTION_MANAGER) && !hasIface(next, CONNECTION_MANAGER)) {
      this.#down('the modem has no ConnectionManager any more');
      this.#context = undefined;
    }
    if (!hasIface(next, SIM_MANAGER)) this.#sim = undefined;
    if (!hasIface(next, NETWORK_REGISTRATION)) this.#network = undefined;
    await this.#refreshAtoms(op);
  }

  async #onConnectionManager(s: OfonoSignal, op: string): Promise<void> {
    if (s.member === 'ContextAdded' && !this.#context) {
      const [path, props] = s.body;
      if (typeof path !== 'string') throw new OfonoPropertyError(op, s.path, CONNECTION_MANAGER, 'ContextAdded', 'does not carry an object path');
      const p = asProperties(props, { operation: op, path, iface: CONNECTION_CONTEXT });
      if (optString(p, 'Type', { operation: op, path, iface: CONNECTION_CONTEXT }) === IMS_CONTEXT_TYPE) this.#context = { path, props: p };
    } else if (s.member === 'ContextRemoved' && s.body[0] === this.#context?.path) {
      this.#context = undefined;
      this.#down('the IMS context was removed');
    }
  }

  async #resyncContext(path: string, op: string): Promise<void> {
    const ctx = this.#context;
    if (!ctx || path !== ctx.path) return;
    try {
      ctx.props = await this.#client.getProperties(op, ctx.path, CONNECTION_CONTEXT);
    } catch (e) {
      // the context went with its modem or ConnectionManager; that change is on its way
      if (e instanceof OfonoCallError && GONE.includes(e.errorName)) return;
      throw e;
    }
    this.#contextFloor = this.#received;
    if (ctx.props.Active?.value !== true) this.#down('the IMS context was deactivated');
    else this.#up(readContextSettings(ctx.path, ctx.props, this.#o.interfaceMtu ?? sysfsMtu, op));
  }

  #onContextProperty(s: OfonoSignal, op: string): void {
    const ctx = this.#context;
    if (!ctx || s.path !== ctx.path) return;
    const [name, value] = this.#propertyChanged(s, op);
    ctx.props = { ...ctx.props, [name]: value };
    if (name !== 'Active' && name !== 'Settings' && name !== 'IPv6.Settings') return;
    if (ctx.props.Active?.value !== true) {
      this.#down('the IMS context was deactivated');
      return;
    }
    // src/gprs.c pri_reset_context_settings: on deactivation the settings are emptied just before
    // Active goes false; that is not a change of the PDN. On activation they come before Active.
    const empty = (k: string): boolean => {
      const v = ctx.props[k]?.value;
      return v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
    };
    if (name !== 'Active' && empty('Settings') && empty('IPv6.Settings')) return;
    try {
      this.#up(readContextSettings(ctx.path, ctx.props, this.#o.interfaceMtu ?? sysfsMtu, op));
    } catch (e) {
      this.#down('the IMS context settings are unusable');
      throw e;
    }
  }
}
