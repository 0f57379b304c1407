// startDbusService(): the oFono-compatible D-Bus service (see backend.ts for the contract).
// Companion mode (bus name org.imsd): IpMultimediaSystem + VoiceCallManager on the modem path.
// Standalone mode (bus name org.ofono): also org.ofono.Modem there and org.ofono.Manager at /.
import type { DbusService, DbusServiceOptions } from './backend.js';
import { STANDALONE_BUS_NAME } from './backend.js';
import { connectBus } from './binding.js';
import { ImsObject } from './ims-object.js';
import { ManagerObject, ModemObject, modemProperties } from './modem-object.js';
import { RegistrationStore } from './registration-store.js';
import { VoiceCallManagerObject } from './voicecall-manager-object.js';

export async function startDbusService(o: DbusServiceOptions): Promise<DbusService> {
  const log = o.logger.child('dbus');
  const conn = await connectBus(o.bus, (where, error) =>
    log.error('internal error', { where, error: error instanceof Error ? error.message : String(error) }),
  );
  const standalone = o.busName === STANDALONE_BUS_NAME;
  const ims = new ImsObject(conn, o.modemPath, o.ims, new RegistrationStore(o.stateDir), log.child('ims'));
  const voicecalls = new VoiceCallManagerObject(conn, o.modemPath, { backend: o.calls, log: log.child('voicecall') });
  const modem = standalone ? new ModemObject(conn, o.modemPath, modemProperties(o.modemInfo)) : undefined;
  const manager = modem ? new ManagerObject(conn, [modem]) : undefined;
  try {
    // objects first, then the name: a client that sees the name finds every object; the
    // Registration setting is applied only once the name is ours (a second imsd changes nothing)
    modem?.export();
    ims.export();
    voicecalls.export();
    manager?.export();
    await conn.requestName(o.busName);
    voicecalls.start();
    await ims.start();
    manager?.announce();
  } catch (e) {
    voicecalls.stop();
    conn.close();
    throw e;
  }
  log.info('on the bus', { name: o.busName, path: o.modemPath, mode: standalone ? 'standalone' : 'companion', registration: ims.setting });
  let closed = false;
  return {
    get registrationSetting() {
      return ims.setting;
    },
    async close() {
      if (closed) return;
      closed = true;
      manager?.stop();
      voicecalls.stop();
      ims.stop();
      modem?.unexport();
      try {
        await conn.releaseName(o.busName);
      } finally {
        conn.close();
      }
    },
  };
}
