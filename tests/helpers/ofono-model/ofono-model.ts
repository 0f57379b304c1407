// A model of oFono for the ofono driver's tests: a dbus-next service on a private dbus-daemon that
// owns org.ofono and answers the parts of Manager, Modem, SimManager, NetworkRegistration,
// ConnectionManager and ConnectionContext the driver uses, with oFono's behaviour where the driver
// depends on it (src/gprs.c, src/modem.c of oFono 1.31):
//  - a modem lists SimManager once Powered, NetworkRegistration and ConnectionManager once Online;
//  - AddContext("ims") creates a context named "IMS" with an empty AccessPointName;
//  - SetProperty Active=true answers NotAttached while detached, else replies, then signals
//    Settings, IPv6.Settings and Active=true; deactivation signals empty Settings, then Active=false;
//  - property changes are signalled after the method reply, as oFono's drivers answer first.
// A model, not oFono itself: oFono cannot drive a modem on this machine (no modem, no phonesim).
// Tests script it: network-side deactivation, new addresses, modems added/removed, oFono leaving
// the bus and coming back, and malformed signals.
import { connectBus, Variant, type BusConnection, type ExportedObject } from '../../../daemon/dbus/binding.js';
import { OfonoError, type OfonoErrorName } from '../../../daemon/dbus/errors.js';
import type { InterfaceSpec } from '../../../daemon/dbus/interfaces.js';
import { CONNECTION_CONTEXT, CONNECTION_MANAGER, MANAGER, MODEM, NETWORK_REGISTRATION, SIM_MANAGER } from './specs.js';

export type Dict = Record<string, Variant>;

export const str = (s: string): Variant => new Variant('s', s);
export const bool = (b: boolean): Variant => new Variant('b', b);
export const strs = (l: string[]): Variant => new Variant('as', l);
export const dict = (d: Dict): Variant => new Variant('a{sv}', d);

/** an oFono error name outside the daemon's own list (NotAttached, InUse, ...) */
class ModelError extends OfonoError {
  constructor(
    private readonly shortName: string,
    message: string,
  ) {
    super('Failed', message);
  }

  override get dbusName(): string {
    return `org.ofono.Error.${this.shortName}`;
  }
}

const error = (name: OfonoErrorName | 'NotAttached' | 'InUse', message: string): OfonoError => new ModelError(name, message);

export interface ContextOptions {
  type?: string;
  apn?: string;
  active?: boolean;
  settings?: Dict;
  ipv6Settings?: Dict;
}

export interface ModemOptions {
  powered?: boolean;
  online?: boolean;
  type?: string;
  imsi?: string;
  mcc?: string;
  mnc?: string;
  status?: string;
  technology?: string;
  attached?: boolean;
  contexts?: ContextOptions[];
  /** what an IMS context gets when it is activated */
  onActivate?: { settings?: Dict; ipv6Settings?: Dict };
  /** how many SetProperty Powered=true calls are refused with Failed before one is accepted */
  refusePower?: number;
  /** error name SetProperty Active=true answers (after the attach check) */
  activationError?: OfonoErrorName;
}

export interface CallRecord {
  path: string;
  iface: string;
  member: string;
  args: unknown[];
}

const later = (fn: () => void): void => void setTimeout(fn, 2);

export class ModelContext {
  props: Dict;

  constructor(
    readonly modem: ModelModem,
    readonly path: string,
    o: ContextOptions,
  ) {
    const type = o.type ?? 'ims';
    this.props = {
      Name: str(type === 'ims' ? 'IMS' : type),
      Type: str(type),
      AccessPointName: str(o.apn ?? ''),
      Active: bool(o.active ?? false),
      Protocol: str('ip'),
      Preferred: bool(false),
      Settings: dict(o.active ? (o.settings ?? {}) : {}),
      'IPv6.Settings': dict(o.active ? (o.ipv6Settings ?? {}) : {}),
    };
  }

  get active(): boolean {
    return this.props.Active!.value === true;
  }

  /** a property changes and PropertyChanged is sent */
  set(name: string, value: Variant): void {
    this.props[name] = value;
    this.modem.model.emit(this.path, CONNECTION_CONTEXT.name, 'PropertyChanged', name, value);
  }

  /** the network (or the modem) ends the PDN: settings emptied, then Active false (src/gprs.c) */
  deactivate(): void {
    this.set('Settings', dict({}));
    this.set('IPv6.Settings', dict({}));
    this.set('Active', bool(false));
  }

  activate(settings: Dict, ipv6Settings: Dict = {}): void {
    if (Object.keys(settings).length) this.set('Settings', dict(settings));
    if (Object.keys(ipv6Settings).length) this.set('IPv6.Settings', dict(ipv6Settings));
    this.set('Active', bool(true));
  }

  setProperty(name: string, value: Variant): void {
    if (name === 'Active') {
      if (value.signature !== 'b') throw error('InvalidArguments', 'Active takes a boolean');
      if (value.value === this.active) return;
      if (value.value === true) {
        if (!this.modem.attached) throw error('NotAttached', 'GPRS is not attached');
        if (this.modem.o.activationError) throw error(this.modem.o.activationError, 'activation failed');
        const on = this.modem.o.onActivate ?? {};
        // the reply goes first, then the settings and Active (pri_activate_finish)
        this.props.Active = bool(true);
        this.props.Settings = dict(on.settings ?? {});
        this.props['IPv6.Settings'] = dict(on.ipv6Settings ?? {});
        later(() => {
          if (!this.active) return; // deactivated in between: oFono signals what is, not what was
          if (Object.keys(on.settings ?? {}).length) this.modem.model.emit(this.path, CONNECTION_CONTEXT.name, 'PropertyChanged', 'Settings', this.props.Settings);
          if (Object.keys(on.ipv6Settings ?? {}).length) this.modem.model.emit(this.path, CONNECTION_CONTEXT.name, 'PropertyChanged', 'IPv6.Settings', this.props['IPv6.Settings']);
          this.modem.model.emit(this.path, CONNECTION_CONTEXT.name, 'PropertyChanged', 'Active', bool(true));
        });
      } else {
        this.props.Active = bool(false);
        later(() => {
          if (!this.active) this.deactivate();
        });
      }
      return;
    }
    if (!['AccessPointName', 'Name', 'Protocol', 'Preferred', 'Username', 'Password'].includes(name)) throw error('InvalidArguments', `${name} is not writable`);
    if (this.active && name !== 'Preferred') throw error('InUse', 'the context is active');
    this.props[name] = value;
    later(() => this.modem.model.emit(this.path, CONNECTION_CONTEXT.name, 'PropertyChanged', name, value));
  }
}

export class ModelModem {
  powered: boolean;
  online: boolean;
  attached: boolean;
  readonly contexts = new Map<string, ModelContext>();
  sim: Dict;
  network: Dict;
  #nextContext = 1;

  constructor(
    readonly model: OfonoModel,
    readonly path: string,
    readonly o: ModemOptions,
  ) {
    this.powered = o.powered ?? true;
    this.online = o.online ?? true;
    this.attached = o.attached ?? true;
    this.sim = { Present: bool(true) };
    if (o.imsi) this.sim.SubscriberIdentity = str(o.imsi);
    if (o.mcc) this.sim.MobileCountryCode = str(o.mcc);
    if (o.mnc) this.sim.MobileNetworkCode = str(o.mnc);
    this.network = { Status: str(o.status ?? 'registered'), Name: str('Model Net') };
    if (o.technology ?? 'lte') this.network.Technology = str(o.technology ?? 'lte');
    for (const c of o.contexts ?? []) this.addContext(c, false);
  }

  get interfaces(): string[] {
    if (!this.powered) return [];
    const list = [SIM_MANAGER.name];
    if (this.online) list.push(NETWORK_REGISTRATION.name, CONNECTION_MANAGER.name);
    return list;
  }

  get properties(): Dict {
    return {
      Powered: bool(this.powered),
      Online: bool(this.online),
      Lockdown: bool(false),
      Emergency: bool(false),
      Name: str('model modem'),
      Manufacturer: str('imsd tests'),
      Model: str('ofono-model'),
      Interfaces: strs(this.interfaces),
      Features: strs(this.online ? ['sim', 'net', 'gprs'] : this.powered ? ['sim'] : []),
      Type: str(this.o.type ?? 'hardware'),
    };
  }

  context(path?: string): ModelContext {
    const c = path ? this.contexts.get(path) : [...this.contexts.values()].find((x) => x.props.Type!.value === 'ims');
    if (!c) throw new Error(`model: no context ${path ?? 'of type ims'} on ${this.path}`);
    return c;
  }

  addContext(o: ContextOptions, signal = true): ModelContext {
    const path = `${this.path}/context${this.#nextContext++}`;
    const c = new ModelContext(this, path, o);
    this.contexts.set(path, c);
    this.model.sync();
    if (signal) this.model.emit(this.path, CONNECTION_MANAGER.name, 'ContextAdded', path, c.props);
    return c;
  }

  removeContext(path: string): void {
    if (!this.contexts.delete(path)) throw error('NotFound', `no context ${path}`);
    this.model.sync();
    this.model.emit(this.path, CONNECTION_MANAGER.name, 'ContextRemoved', path);
  }

  /** a Modem property changes (Interfaces follows Powered/Online) */
  setModem(name: 'Powered' | 'Online', value: boolean): void {
    const before = this.interfaces.join();
    if (name === 'Powered') this.powered = value;
    else this.online = value;
    if (!this.powered || !this.online) {
      // oFono's gprs atom goes with the modem's online state, and with it every context
      for (const c of this.contexts.values()) if (c.active) c.deactivate();
      this.attached = false;
    } else if (this.o.attached !== false) {
      this.attached = true;
    }
    this.model.sync();
    this.model.emit(this.path, MODEM.name, 'PropertyChanged', name, bool(value));
    if (this.interfaces.join() !== before) this.model.emit(this.path, MODEM.name, 'PropertyChanged', 'Interfaces', strs(this.interfaces));
  }

  setAttached(value: boolean): void {
    this.attached = value;
    this.model.emit(this.path, CONNECTION_MANAGER.name, 'PropertyChanged', 'Attached', bool(value));
  }

  setSim(name: string, value: Variant): void {
    this.sim[name] = value;
    this.model.emit(this.path, SIM_MANAGER.name, 'PropertyChanged', name, value);
  }

  setNetwork(name: string, value: Variant): void {
    this.network[name] = value;
    this.model.emit(this.path, NETWORK_REGISTRATION.name, 'PropertyChanged', name, value);
  }
}

export class OfonoModel {
  readonly modems = new Map<string, ModelModem>();
  readonly calls: CallRecord[] = [];
  #conn: BusConnection | undefined;
  /** path -> interface -> exported object */
  #exported = new Map<string, Map<string, ExportedObject>>();

  private constructor(readonly address: string) {}

  /** connects to the bus at `address` and owns org.ofono */
  static async start(address: string): Promise<OfonoModel> {
    const m = new OfonoModel(address);
    await m.up();
    return m;
  }

  get running(): boolean {
    return this.#conn !== undefined;
  }

  /** oFono (re)starts: a new connection owns org.ofono and serves every modem */
  async up(): Promise<void> {
    if (this.#conn) return;
    this.#conn = await connectBus(this.address);
    this.#exported = new Map();
    this.#export('/', MANAGER, {
      GetModems: () => [...this.modems.values()].map((x) => [x.path, x.properties]),
    });
    this.sync();
    await this.#conn.requestName('org.ofono');
  }

  /** oFono exits: its connection closes, the bus announces that org.ofono has no owner */
  async down(): Promise<void> {
    const c = this.#conn;
    if (!c) return;
    this.#conn = undefined;
    this.#exported = new Map();
    c.close();
    // a restarted oFono starts with every context inactive
    for (const modem of this.modems.values()) {
      for (const ctx of modem.contexts.values()) Object.assign(ctx.props, { Active: bool(false), Settings: dict({}), 'IPv6.Settings': dict({}) });
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  addModem(path: string, o: ModemOptions = {}): ModelModem {
    const modem = new ModelModem(this, path, o);
    this.modems.set(path, modem);
    this.sync();
    this.emit('/', MANAGER.name, 'ModemAdded', path, modem.properties);
    return modem;
  }

  removeModem(path: string): void {
    this.modems.delete(path);
    this.sync();
    this.emit('/', MANAGER.name, 'ModemRemoved', path);
  }

  modem(path: string): ModelModem {
    const m = this.modems.get(path);
    if (!m) throw new Error(`model: no modem ${path}`);
    return m;
  }

  /** any signal, well-formed or not (tests of bad input) */
  emit(path: string, iface: string, signal: string, ...args: unknown[]): void {
    if (!this.#conn) return;
    this.#exported.get(path)?.get(iface)?.emit(signal, ...args);
  }

  callsTo(member: string): CallRecord[] {
    return this.calls.filter((c) => c.member === member);
  }

  /** exports exactly the objects the modems and contexts have now */
  sync(): void {
    if (!this.#conn) return;
    const want = new Map<string, Map<string, { spec: InterfaceSpec; handlers: Record<string, (...a: unknown[]) => unknown> }>>();
    const put = (path: string, spec: InterfaceSpec, handlers: Record<string, (...a: unknown[]) => unknown>): void => {
      if (!want.has(path)) want.set(path, new Map());
      want.get(path)!.set(spec.name, { spec, handlers });
    };
    for (const modem of this.modems.values()) {
      put(modem.path, MODEM, this.#modemHandlers(modem));
      const ifaces = modem.interfaces;
      if (ifaces.includes(SIM_MANAGER.name)) put(modem.path, SIM_MANAGER, this.#readOnly(() => modem.sim));
      if (ifaces.includes(NETWORK_REGISTRATION.name)) put(modem.path, NETWORK_REGISTRATION, this.#readOnly(() => modem.network));
      if (ifaces.includes(CONNECTION_MANAGER.name)) {
        put(modem.path, CONNECTION_MANAGER, this.#connmanHandlers(modem));
        for (const c of modem.contexts.values()) {
          put(c.path, CONNECTION_CONTEXT, {
            GetProperties: () => c.props,
            SetProperty: (name, value) => c.setProperty(name as string, value as Variant),
          });
        }
      }
    }
    for (const [path, byIface] of [...this.#exported]) {
      for (const [iface, obj] of [...byIface]) {
        if (path === '/' || want.get(path)?.has(iface)) continue;
        obj.unexport();
        byIface.delete(iface);
      }
    }
    for (const [path, byIface] of want) {
      for (const [iface, { spec, handlers }] of byIface) {
        if (this.#exported.get(path)?.has(iface)) continue;
        this.#export(path, spec, handlers);
      }
    }
  }

  #export(path: string, spec: InterfaceSpec, handlers: Record<string, (...a: unknown[]) => unknown>): void {
    const logged: Record<string, (...a: unknown[]) => unknown> = {};
    for (const [name, h] of Object.entries(handlers)) {
      logged[name] = (...args: unknown[]) => {
        this.calls.push({ path, iface: spec.name, member: name, args });
        return h(...args);
      };
    }
    const obj = this.#conn!.exportObject(path, spec, logged);
    if (!this.#exported.has(path)) this.#exported.set(path, new Map());
    this.#exported.get(path)!.set(spec.name, obj);
  }

  #readOnly(props: () => Dict): Record<string, (...a: unknown[]) => unknown> {
    return {
      GetProperties: () => props(),
      SetProperty: () => {
        throw error('InvalidArguments', 'read-only in the model');
      },
    };
  }

  #modemHandlers(modem: ModelModem): Record<string, (...a: unknown[]) => unknown> {
    return {
      GetProperties: () => modem.properties,
      SetProperty: (name, value) => {
        const v = value as Variant;
        if ((name !== 'Powered' && name !== 'Online') || v.signature !== 'b') throw error('InvalidArguments', `cannot set ${String(name)}`);
        if (name === 'Online' && !modem.powered) throw error('NotAllowed', 'the modem is not powered');
        if (name === 'Powered' && v.value === true && (modem.o.refusePower ?? 0) > 0) {
          modem.o.refusePower! -= 1;
          throw error('Failed', 'the modem did not power up');
        }
        if ((name === 'Powered' ? modem.powered : modem.online) === v.value) return;
        later(() => modem.setModem(name, v.value as boolean));
      },
    };
  }

  #connmanHandlers(modem: ModelModem): Record<string, (...a: unknown[]) => unknown> {
    return {
      GetProperties: () => ({ Attached: bool(modem.attached), Powered: bool(true), RoamingAllowed: bool(false), Bearer: str('lte') }),
      SetProperty: () => {
        throw error('NotImplemented', 'not in the model');
      },
      GetContexts: () => [...modem.contexts.values()].map((c) => [c.path, c.props]),
      AddContext: (type) => {
        if (!['internet', 'mms', 'wap', 'ims', 'ia'].includes(type as string)) throw error('InvalidFormat', `unknown context type ${String(type)}`);
        // src/gprs.c gprs_add_context: reply with the path, then ContextAdded
        const c = new ModelContext(modem, `${modem.path}/context${modem.contexts.size + 100}`, { type: type as string });
        modem.contexts.set(c.path, c);
        this.sync();
        later(() => this.emit(modem.path, CONNECTION_MANAGER.name, 'ContextAdded', c.path, c.props));
        return c.path;
      },
      RemoveContext: (path) => modem.removeContext(path as string),
    };
  }
}
