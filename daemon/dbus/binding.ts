// The one file that knows the D-Bus library (dbus-next). Everything else in daemon/dbus/ and
// imsctl talks to a BusConnection, so the binding can be swapped without touching the objects.
// dbus-next's decorators do not work from TypeScript; interfaces are built with configureMembers.
import dbus from 'dbus-next';
import { ALL_INTERFACES, signatureOf, type InterfaceSpec } from './interfaces.js';
import { OfonoError } from './errors.js';

/** A D-Bus variant as the objects see it; converted to and from the library's at the boundary. */
export class Variant {
  constructor(
    readonly signature: string,
    readonly value: unknown,
  ) {}
}

export type MethodHandler = (...args: unknown[]) => unknown;

export interface ExportedObject {
  readonly path: string;
  emit(signal: string, ...args: unknown[]): void;
  unexport(): void;
}

export interface SignalMessage {
  sender: string | undefined;
  path: string;
  interface: string;
  member: string;
  body: unknown[];
}

export interface SignalMatch {
  sender?: string;
  path?: string;
  interface?: string;
  member?: string;
}

/** An error reply received by call(): name is the D-Bus error name. */
export class DbusCallError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = 'DbusCallError';
  }
}

/** What a handler threw that was not an OfonoError (a bug): reported, answered as Failed. */
export type InternalErrorReporter = (where: string, error: unknown) => void;

export interface BusConnection {
  readonly uniqueName: string | null;
  /** owns name or throws (DO_NOT_QUEUE: a second imsd fails instead of waiting) */
  requestName(name: string): Promise<void>;
  releaseName(name: string): Promise<void>;
  exportObject(path: string, spec: InterfaceSpec, handlers: Record<string, MethodHandler>): ExportedObject;
  call(destination: string, path: string, iface: string, member: string, signature?: string, args?: unknown[]): Promise<unknown[]>;
  subscribe(match: SignalMatch, onSignal: (s: SignalMessage) => void): Promise<() => Promise<void>>;
  close(): void;
}

function toWire(value: unknown): unknown {
  if (value instanceof Variant) return new dbus.Variant(value.signature, toWire(value.value));
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

function fromWire(value: unknown): unknown {
  if (value instanceof dbus.Variant) return new Variant(value.signature, fromWire(value.value));
  if (Array.isArray(value)) return value.map(fromWire);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
}

function toDbusError(error: unknown, where: string, report: InternalErrorReporter): dbus.DBusError {
  if (error instanceof OfonoError) return new dbus.DBusError(error.dbusName, error.message);
  report(where, error);
  return new dbus.DBusError('org.ofono.Error.Failed', 'Operation failed');
}

const matchRule = (m: SignalMatch): string =>
  ["type='signal'", ...Object.entries(m).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}='${String(v)}'`)].join(',');

class DbusNextConnection implements BusConnection {
  /** path -> interface name -> spec, for answering wrong signatures with InvalidArguments */
  readonly #exported = new Map<string, Map<string, { spec: InterfaceSpec; iface: dbus.interface.Interface }>>();

  constructor(
    private readonly bus: dbus.MessageBus,
    private readonly report: InternalErrorReporter,
  ) {
    bus.addMethodHandler((msg: dbus.Message) => this.#checkSignature(msg));
  }

  get uniqueName(): string | null {
    return (this.bus as unknown as { name: string | null }).name;
  }

  // oFono answers a call whose arguments do not fit with org.ofono.Error.InvalidArguments
  // (src/dbus.c __ofono_error_invalid_args); dbus-next alone would say UnknownMethod.
  #checkSignature(msg: dbus.Message): boolean {
    if (msg.type !== dbus.MessageType.METHOD_CALL || !msg.path || !msg.interface || !msg.member) return false;
    const spec = this.#exported.get(msg.path)?.get(msg.interface);
    const method = spec?.spec.methods[msg.member];
    if (!method) return false;
    const expected = signatureOf(method.in);
    if ((msg.signature ?? '') === expected) return false;
    this.bus.send(
      dbus.Message.newError(
        msg as unknown as string,
        'org.ofono.Error.InvalidArguments',
        `${msg.member} takes (${expected}), got (${msg.signature ?? ''})`,
      ),
    );
    return true;
  }

  async requestName(name: string): Promise<void> {
    const reply = await this.bus.requestName(name, dbus.NameFlag.DO_NOT_QUEUE);
    if (reply !== dbus.RequestNameReply.PRIMARY_OWNER && reply !== dbus.RequestNameReply.ALREADY_OWNER) {
      throw new Error(`cannot own bus name ${name}: it is taken`);
    }
  }

  async releaseName(name: string): Promise<void> {
    await this.bus.releaseName(name);
  }

  exportObject(path: string, spec: InterfaceSpec, handlers: Record<string, MethodHandler>): ExportedObject {
    const report = this.report;
    class Exported extends dbus.interface.Interface {}
    const proto = Exported.prototype as unknown as Record<string, unknown>;
    const methods: Record<string, { inSignature: string; outSignature: string }> = {};
    for (const [name, method] of Object.entries(spec.methods)) {
      const handler = handlers[name];
      if (!handler) throw new Error(`no handler for ${spec.name}.${name}`);
      const outCount = method.out.length;
      proto[name] = async (...args: unknown[]) => {
        try {
          const result = await handler(...args.map(fromWire));
          return outCount === 0 ? undefined : toWire(result);
        } catch (e) {
          throw toDbusError(e, `${spec.name}.${name}`, report);
        }
      };
      methods[name] = { inSignature: signatureOf(method.in), outSignature: signatureOf(method.out) };
    }
    const signals: Record<string, { signature: string }> = {};
    for (const [name, args] of Object.entries(spec.signals)) {
      // the library sends what the signal method returns: one value, or an array of several
      proto[name] = (...values: unknown[]) => (args.length === 1 ? values[0] : values);
      signals[name] = { signature: signatureOf(args) };
    }
    Exported.configureMembers({ methods, signals });
    const iface = new Exported(spec.name);
    this.bus.export(path, iface);
    let byIface = this.#exported.get(path);
    if (!byIface) this.#exported.set(path, (byIface = new Map()));
    byIface.set(spec.name, { spec, iface });
    return {
      path,
      emit: (signal: string, ...values: unknown[]) => {
        if (!spec.signals[signal]) throw new Error(`${spec.name} has no signal ${signal}`);
        (iface as unknown as Record<string, (...v: unknown[]) => void>)[signal](...values.map(toWire));
      },
      unexport: () => {
        if (byIface.get(spec.name)?.iface !== iface) return;
        // dbus-next 0.10 drops every interface of the path when one is unexported
        // (bus.unexport tests interfaces.length on an object): export the others again.
        this.bus.unexport(path, iface);
        byIface.delete(spec.name);
        if (byIface.size === 0) this.#exported.delete(path);
        for (const other of byIface.values()) this.bus.export(path, other.iface);
      },
    };
  }

  async call(destination: string, path: string, iface: string, member: string, signature = '', args: unknown[] = []): Promise<unknown[]> {
    try {
      const reply = await this.bus.call(
        new dbus.Message({ destination, path, interface: iface, member, signature, body: args.map(toWire) }),
      );
      return ((reply?.body as unknown[] | undefined) ?? []).map(fromWire);
    } catch (e) {
      if (e instanceof dbus.DBusError) throw new DbusCallError(e.type, e.text);
      throw e;
    }
  }

  async subscribe(match: SignalMatch, onSignal: (s: SignalMessage) => void): Promise<() => Promise<void>> {
    const rule = matchRule(match);
    const listener = (msg: dbus.Message): void => {
      if (msg.type !== dbus.MessageType.SIGNAL) return;
      if (match.path && msg.path !== match.path) return;
      if (match.interface && msg.interface !== match.interface) return;
      if (match.member && msg.member !== match.member) return;
      onSignal({
        sender: msg.sender,
        path: msg.path ?? '',
        interface: msg.interface ?? '',
        member: msg.member ?? '',
        body: ((msg.body as unknown[] | undefined) ?? []).map(fromWire),
      });
    };
    this.bus.on('message', listener);
    await this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [rule]);
    return async () => {
      this.bus.off('message', listener);
      await this.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RemoveMatch', 's', [rule]);
    };
  }

  close(): void {
    this.bus.disconnect();
  }
}

/** Connects to a bus: 'system' (DBUS_SYSTEM_BUS_ADDRESS or the system socket) or an address. */
export async function connectBus(address: string, report: InternalErrorReporter = () => undefined): Promise<BusConnection> {
  // dbus-next's systemBus() reads only DBUS_SYSTEM_BUS_ADDRESS; sessionBus() takes any address.
  const bus = address === 'system' ? dbus.systemBus() : dbus.sessionBus({ busAddress: address });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: unknown): void => reject(e instanceof Error ? e : new Error(String(e)));
    bus.once('error', onError);
    bus.once('connect', () => {
      bus.off('error', onError);
      resolve();
    });
  });
  // Later connection errors (the bus went away) are reported, not thrown into nowhere.
  bus.on('error', (e: unknown) => report('bus connection', e));
  return new DbusNextConnection(bus, report);
}

/** every interface the service may export; re-exported for tools that look members up */
export { ALL_INTERFACES };
