// A small client of oFono over the project's D-Bus binding (daemon/dbus/binding.ts): method calls
// with their replies checked, signals of oFono's interfaces delivered only when they come from the
// current owner of org.ofono (a match rule on a well-known name is resolved by the bus, but the
// binding's listener sees every signal of the connection), and the owner tracked through
// org.freedesktop.DBus NameOwnerChanged.
import { DbusCallError, Variant, type BusConnection, type SignalMessage } from '../../daemon/dbus/binding.js';
import { ModemDriverError } from '../driver.js';
import { CONNECTION_CONTEXT, CONNECTION_MANAGER, MANAGER, MODEM, NETWORK_REGISTRATION, OFONO_SERVICE, SIM_MANAGER } from './names.js';
import { asProperties, OfonoPropertyError, type Properties } from './properties.js';

const DBUS = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'] as const;

/** An oFono method call failed; errorName is the D-Bus error (org.ofono.Error.NotAttached, ...). */
export class OfonoCallError extends ModemDriverError {
  constructor(
    operation: string,
    readonly errorName: string,
    message: string,
  ) {
    super(operation, `${errorName}: ${message}`);
    this.name = 'OfonoCallError';
  }
}

export interface OfonoSignal {
  path: string;
  iface: string;
  member: string;
  body: unknown[];
}

const WATCHED = [MANAGER, MODEM, SIM_MANAGER, NETWORK_REGISTRATION, CONNECTION_MANAGER, CONNECTION_CONTEXT];

export class OfonoClient {
  #owner: string | undefined;
  readonly #unsubscribe: (() => Promise<void>)[] = [];

  private constructor(readonly conn: BusConnection) {}

  /**
   * Watches org.ofono: onOwner(unique name or undefined) when oFono comes or goes, onSignal for
   * every signal of the interfaces the driver uses from the current owner.
   */
  static async open(conn: BusConnection, onOwner: (owner: string | undefined) => void, onSignal: (s: OfonoSignal) => void): Promise<OfonoClient> {
    const c = new OfonoClient(conn);
    c.#unsubscribe.push(
      await conn.subscribe({ sender: DBUS[0], interface: DBUS[2], member: 'NameOwnerChanged' }, (s: SignalMessage) => {
        if (s.body[0] !== OFONO_SERVICE) return;
        const owner = typeof s.body[2] === 'string' && s.body[2] !== '' ? s.body[2] : undefined;
        if (owner === c.#owner) return;
        c.#owner = owner;
        onOwner(owner);
      }),
    );
    for (const iface of WATCHED) {
      c.#unsubscribe.push(
        await conn.subscribe({ sender: OFONO_SERVICE, interface: iface }, (s: SignalMessage) => {
          if (c.#owner === undefined || s.sender !== c.#owner) return;
          onSignal({ path: s.path, iface: s.interface, member: s.member, body: s.body });
        }),
      );
    }
    // the owner now, after the match rules are in place (no change is lost in between)
    try {
      const [owner] = await conn.call(...DBUS, 'GetNameOwner', 's', [OFONO_SERVICE]);
      if (c.#owner === undefined && typeof owner === 'string') c.#owner = owner;
    } catch (e) {
      if (!(e instanceof DbusCallError && e.errorName === 'org.freedesktop.DBus.Error.NameHasNoOwner')) throw e;
    }
    return c;
  }

  /** the unique name of oFono's connection, undefined when oFono is not on the bus */
  get owner(): string | undefined {
    return this.#owner;
  }

  async call(operation: string, path: string, iface: string, member: string, signature = '', args: unknown[] = []): Promise<unknown[]> {
    try {
      return await this.conn.call(OFONO_SERVICE, path, iface, member, signature, args);
    } catch (e) {
      if (e instanceof DbusCallError) throw new OfonoCallError(operation, e.errorName, e.message);
      throw new ModemDriverError(operation, e instanceof Error ? e.message : String(e));
    }
  }

  async getProperties(operation: string, path: string, iface: string): Promise<Properties> {
    const [props] = await this.call(operation, path, iface, 'GetProperties');
    return asProperties(props, { operation, path, iface });
  }

  async setProperty(operation: string, path: string, iface: string, name: string, value: Variant): Promise<void> {
    await this.call(operation, path, iface, 'SetProperty', 'sv', [name, value]);
  }

  /** Manager.GetModems / ConnectionManager.GetContexts: a(oa{sv}) */
  async objects(operation: string, path: string, iface: string, member: string): Promise<[string, Properties][]> {
    const [list] = await this.call(operation, path, iface, member);
    if (!Array.isArray(list)) throw new OfonoPropertyError(operation, path, iface, member, 'did not return an array');
    return list.map((entry: unknown) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new OfonoPropertyError(operation, path, iface, member, 'returned an entry that is not (object path, properties)');
      return [entry[0], asProperties(entry[1], { operation, path: entry[0], iface })];
    });
  }

  async close(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) await u().catch(() => undefined);
  }
}
