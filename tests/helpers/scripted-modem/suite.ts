// The hooks every suite needs that runs one modem driver on scripted modems: python3 (the pty
// bridge) checked before each test; after each, the driver closed first, then every modem stopped.
import { command, requirePrerequisites } from '../prereq.js';
import type { ScriptedModem } from './scripted-modem.js';

/** What a test started: put every modem in `modems` and the driver in `driver`. */
export interface ModemRig<D extends { close(): Promise<void> }> {
  readonly modems: ScriptedModem[];
  driver: D | undefined;
}

/** Call inside the suite's describe(). */
export function useScriptedModems<D extends { close(): Promise<void> }>(rig: ModemRig<D>): void {
  beforeEach(function () {
    requirePrerequisites(this, [command('python3')]);
  });
  afterEach(async () => {
    await rig.driver?.close();
    rig.driver = undefined;
    for (const m of rig.modems.splice(0)) await m.stop();
  });
}
