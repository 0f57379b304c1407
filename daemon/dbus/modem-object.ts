// Standalone mode only (imsd owns org.ofono): org.ofono.Modem with the basic properties that
// oFono's tools and libqofono read (doc/modem-api.txt), and org.ofono.Manager at / listing it.
// The modem is always powered and online from the clients' point of view; imsd does not switch
// the radio, so SetProperty answers NotImplemented for any change.
import type { BusConnection, ExportedObject, Variant } from './binding.js';
import { invalidArguments, notImplemented } from './errors.js';
import { IP_MULTIMEDIA_SYSTEM, MANAGER, MODEM, VOICE_CALL_MANAGER } from './interfaces.js';
import { toDict, type PropertyMap } from './properties.js';

const WRITABLE = new Set(['Powered', 'Online', 'Lockdown']);

export function modemProperties(info: Record<string, string> = {}): PropertyMap {
  return {
    ...info,
    Powered: true,
    Online: true,
    Lockdown: false,
    Emergency: false,
    Interfaces: [IP_MULTIMEDIA_SYSTEM.name, VOICE_CALL_MANAGER.name],
    Features: [],
    Type: 'hardware',
  };
}

export class ModemObject {
  #exported: ExportedObject | undefined;

  constructor(
    private readonly conn: BusConnection,
    readonly path: string,
    readonly props: PropertyMap,
  ) {}

  export(): void {
    this.#exported = this.conn.exportObject(this.path, MODEM, {
      GetProperties: () => toDict(this.props),
      SetProperty: (name, value) => {
        const v = value as Variant;
        if (typeof name !== 'string' || !WRITABLE.has(name)) throw invalidArguments(`${String(name)} cannot be set`);
        if (v.signature !== 'b') throw invalidArguments(`${name} takes a boolean`);
        if (v.value === this.props[name]) return;
        throw notImplemented(`setting ${name} to ${String(v.value)}`);
      },
    });
  }

  unexport(): void {
    this.#exported?.unexport();
    this.#exported = undefined;
  }
}

export class ManagerObject {
  #exported: ExportedObject | undefined;

  constructor(
    private readonly conn: BusConnection,
    private readonly modems: ModemObject[],
  ) {}

  export(): void {
    this.#exported = this.conn.exportObject('/', MANAGER, {
      GetModems: () => this.modems.map((m) => [m.path, toDict(m.props)]),
    });
  }

  announce(): void {
    for (const m of this.modems) this.#exported?.emit('ModemAdded', m.path, toDict(m.props));
  }

  /** ModemRemoved for every modem, then the Manager leaves the bus */
  stop(): void {
    for (const m of this.modems) this.#exported?.emit('ModemRemoved', m.path);
    this.#exported?.unexport();
    this.#exported = undefined;
  }
}
