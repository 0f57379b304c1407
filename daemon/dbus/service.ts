// startDbusService(): the oFono-compatible D-Bus service (see backend.ts for the contract).
import type { DbusService, DbusServiceOptions } from './backend.js';

export async function startDbusService(o: DbusServiceOptions): Promise<DbusService> {
  throw new Error(`D-Bus service not implemented yet (bus name ${o.busName})`);
}
