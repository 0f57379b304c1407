// A BusConnection for unit tests of daemon/dbus objects: calls handlers directly, records signals.
import type { BusConnection, ExportedObject, MethodHandler } from '../../../../daemon/dbus/binding.js';
import type { InterfaceSpec } from '../../../../daemon/dbus/interfaces.js';

export interface Emitted {
  path: string;
  iface: string;
  signal: string;
  args: unknown[];
}

export class FakeBus implements BusConnection {
  readonly uniqueName = ':1.1';
  readonly objects = new Map<string, Map<string, Record<string, MethodHandler>>>();
  readonly emitted: Emitted[] = [];

  async requestName(): Promise<void> {}
  async releaseName(): Promise<void> {}

  exportObject(path: string, spec: InterfaceSpec, handlers: Record<string, MethodHandler>): ExportedObject {
    for (const name of Object.keys(spec.methods)) if (!handlers[name]) throw new Error(`no handler for ${name}`);
    let byIface = this.objects.get(path);
    if (!byIface) this.objects.set(path, (byIface = new Map()));
    byIface.set(spec.name, handlers);
    return {
      path,
      emit: (signal, ...args) => {
        if (!spec.signals[signal]) throw new Error(`no signal ${signal}`);
        this.emitted.push({ path, iface: spec.name, signal, args });
      },
      unexport: () => {
        byIface.delete(spec.name);
        if (byIface.size === 0) this.objects.delete(path);
      },
    };
  }

  async invoke(path: string, iface: string, member: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.objects.get(path)?.get(iface)?.[member];
    if (!handler) throw new Error(`${path} ${iface}.${member} not exported`);
    return handler(...args);
  }

  async call(): Promise<unknown[]> {
    throw new Error('FakeBus does not call out');
  }

  async subscribe(): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  close(): void {}
}
