// The service lifecycle the standalone D-Bus suites share: a fresh state directory and a service
// for each test, the service closed and the directory removed after it (also when the test fails).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDbusService, type CallBackend, type DbusService } from '../../../../../daemon/dbus/backend.js';
import { silentLogger } from '../../../../../daemon/log/logger.js';
import { ScriptedBackend } from './scripted-backend.js';

export interface ServiceSlot {
  stateDir: string;
  /** set by the suite's start; a test that closes it sets it to undefined (or starts another) */
  service: DbusService | undefined;
}

/** Call inside describe(): `start` runs before each test, once the state directory exists. */
export function useServicePerTest(start: (slot: ServiceSlot) => Promise<void>): ServiceSlot {
  const slot: ServiceSlot = { stateDir: '', service: undefined };
  beforeEach(async () => {
    slot.stateDir = await mkdtemp(join(tmpdir(), 'imsdt-state-'));
    await start(slot);
  });
  afterEach(async () => {
    await slot.service?.close();
    slot.service = undefined;
    await rm(slot.stateDir, { recursive: true, force: true });
  });
  return slot;
}

/** imsd standalone (it owns org.ofono) at `modemPath` with a registered scripted IMS backend and `calls` */
export function startWithCalls(busAddress: string, modemPath: string, stateDir: string, calls: CallBackend): Promise<DbusService> {
  return startDbusService({ bus: busAddress, busName: 'org.ofono', modemPath, ims: new ScriptedBackend('001010123456789'), calls, stateDir, logger: silentLogger });
}
