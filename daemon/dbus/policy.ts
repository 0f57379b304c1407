// The D-Bus policy file (dbus-interfaces/imsd-dbus.conf) with the group that may change state
// chosen at install time: the shipped file names "radio".
import { readFile } from 'node:fs/promises';

export const POLICY_FILE = new URL('../../dbus-interfaces/imsd-dbus.conf', import.meta.url);
export const DEFAULT_POLICY_GROUP = 'radio';

// POSIX portable user/group names (plus the common leading underscore)
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

export function renderPolicy(template: string, group: string): string {
  if (!GROUP_NAME.test(group)) throw new RangeError(`not a group name: ${JSON.stringify(group)}`);
  return template.replace(/group="radio"/g, `group="${group}"`);
}

export async function readPolicy(group = DEFAULT_POLICY_GROUP, file: URL | string = POLICY_FILE): Promise<string> {
  return renderPolicy(await readFile(file, 'utf8'), group);
}
