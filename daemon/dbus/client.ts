// The client side used by imsctl: finds imsd's modem on the bus and calls its oFono interfaces.
import { DbusCallError, type BusConnection, type Variant } from './binding.js';
import { DEFAULT_BUS_NAME, STANDALONE_BUS_NAME } from './backend.js';
import { IP_MULTIMEDIA_SYSTEM, MANAGER, VOICE_CALL, VOICE_CALL_MANAGER } from './interfaces.js';

export type Properties = Record<string, Variant>;

const DBUS = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'] as const;

export class ImsdClient {
  private constructor(
    readonly conn: BusConnection,
    readonly busName: string,
    readonly modemPath: string,
  ) {}

  /** busName: given, else org.imsd when it has an owner, else org.ofono */
  static async locate(conn: BusConnection, busName?: string, modemPath?: string): Promise<ImsdClient> {
    const name = busName ?? ((await hasOwner(conn, DEFAULT_BUS_NAME)) ? DEFAULT_BUS_NAME : STANDALONE_BUS_NAME);
    if (!(await hasOwner(conn, name))) throw new Error(`nobody owns ${name} on this bus (is imsd running?)`);
    return new ImsdClient(conn, name, modemPath ?? (await findModem(conn, name)));
  }

  ims(member: string, signature = '', args: unknown[] = []): Promise<unknown[]> {
    return this.conn.call(this.busName, this.modemPath, IP_MULTIMEDIA_SYSTEM.name, member, signature, args);
  }

  async imsProperties(): Promise<Properties> {
    return (await this.ims('GetProperties'))[0] as Properties;
  }

  voiceCallManager(member: string, signature = '', args: unknown[] = []): Promise<unknown[]> {
    return this.conn.call(this.busName, this.modemPath, VOICE_CALL_MANAGER.name, member, signature, args);
  }

  voiceCall(path: string, member: string): Promise<unknown[]> {
    return this.conn.call(this.busName, path, VOICE_CALL.name, member);
  }

  async calls(): Promise<[string, Properties][]> {
    return (await this.voiceCallManager('GetCalls'))[0] as [string, Properties][];
  }

  /** VoiceCallManager.Dial: the new call's object path */
  async dial(number: string, hideCallerId: string): Promise<string> {
    return String((await this.voiceCallManager('Dial', 'ss', [number, hideCallerId]))[0]);
  }

  /** a call's path: as given when absolute, else relative to the modem ("voicecall01") */
  callPath(given: string): string {
    return given.startsWith('/') ? given : `${this.modemPath === '/' ? '' : this.modemPath}/${given}`;
  }
}

async function hasOwner(conn: BusConnection, name: string): Promise<boolean> {
  return (await conn.call(...DBUS, 'NameHasOwner', 's', [name]))[0] === true;
}

async function findModem(conn: BusConnection, name: string): Promise<string> {
  if (name === STANDALONE_BUS_NAME) {
    const modems = (await conn.call(name, '/', MANAGER.name, 'GetModems'))[0] as [string, Properties][];
    const ims = modems.find(([, p]) => ((p.Interfaces?.value as string[] | undefined) ?? []).includes(IP_MULTIMEDIA_SYSTEM.name));
    if (!ims) throw new Error(`no modem with ${IP_MULTIMEDIA_SYSTEM.name} on ${name}`);
    return ims[0];
  }
  // Companion mode has no Manager: the modem is the child of / that carries IpMultimediaSystem.
  const root = String((await conn.call(name, '/', 'org.freedesktop.DBus.Introspectable', 'Introspect'))[0]);
  for (const [, child] of root.matchAll(/<node\s+name="([^"]+)"/g)) {
    const xml = String((await conn.call(name, `/${child}`, 'org.freedesktop.DBus.Introspectable', 'Introspect'))[0]);
    if (xml.includes(`"${IP_MULTIMEDIA_SYSTEM.name}"`)) return `/${child}`;
  }
  throw new Error(`no object with ${IP_MULTIMEDIA_SYSTEM.name} on ${name}`);
}

/** one line for a D-Bus value: booleans as yes/no, arrays space-separated */
export function show(value: unknown): string {
  const v = value !== null && typeof value === 'object' && 'signature' in value ? (value as Variant).value : value;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(show).join(' ');
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return `{${Object.entries(v).map(([k, x]) => `${k}=${show(x)}`).join(', ')}}`;
  }
  return String(v);
}

export function describeError(e: unknown): string {
  if (e instanceof DbusCallError) return `${e.errorName}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
