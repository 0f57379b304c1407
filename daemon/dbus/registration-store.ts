// Sailfish oFono remembers IpMultimediaSystem.Registration per SIM; so does imsd: one small file
// per IMSI under the state directory (default /var/lib/imsd/registration/<imsi>), written
// atomically (temp file + rename) so a crash never leaves half a setting behind.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRegistrationSetting, type RegistrationSetting } from './backend.js';

export const DEFAULT_REGISTRATION: RegistrationSetting = 'auto';

const IMSI = /^[0-9]{5,15}$/;

export class RegistrationStore {
  constructor(private readonly stateDir: string) {}

  #file(imsi: string): string {
    // The IMSI becomes a file name: only digits get that far (TS 23.003 2.2: at most 15 digits).
    if (!IMSI.test(imsi)) throw new RangeError('IMSI must be 5 to 15 digits');
    return join(this.stateDir, 'registration', imsi);
  }

  /** the remembered setting, or 'auto' when none (or an unreadable one) is stored */
  async load(imsi: string): Promise<RegistrationSetting> {
    let text: string;
    try {
      text = await readFile(this.#file(imsi), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_REGISTRATION;
      throw e;
    }
    const value = text.trim();
    return isRegistrationSetting(value) ? value : DEFAULT_REGISTRATION;
  }

  async save(imsi: string, setting: RegistrationSetting): Promise<void> {
    const file = this.#file(imsi);
    await mkdir(join(this.stateDir, 'registration'), { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${setting}\n`, { mode: 0o644 });
    await rename(tmp, file);
  }
}
