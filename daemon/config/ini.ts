// A parser for oFono-style key files (GLib GKeyFile syntax, as in /etc/ofono/*.conf):
//   # comment            ; comment (GKeyFile accepts only '#'; ';' is accepted too)
//   [Group]
//   Key=value            (whitespace around '=' and at both ends of the value is dropped)
// Values are kept as text; list values are split by the schema. Every entry remembers its line.
import { ConfigError } from './errors.js';

export interface IniEntry {
  group: string;
  key: string;
  value: string;
  line: number;
}

export interface IniFile {
  file: string;
  entries: IniEntry[];
  /** line of each group header, by group name */
  groups: Map<string, number>;
}

const GROUP = /^\[([^[\]]+)\]$/;
const KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function parseIni(file: string, text: string): IniFile {
  const entries: IniEntry[] = [];
  const groups = new Map<string, number>();
  const seen = new Map<string, number>();
  let group: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#') || raw.startsWith(';')) continue;
    const g = GROUP.exec(raw);
    if (g) {
      group = g[1]!.trim();
      if (groups.has(group)) throw new ConfigError(file, line, `group [${group}] appears twice (first on line ${groups.get(group)})`);
      groups.set(group, line);
      continue;
    }
    const eq = raw.indexOf('=');
    // the line's text is not echoed: it may hold a secret typed without its '='
    if (eq < 0) throw new ConfigError(file, line, 'expected "Key=value" or "[Group]"');
    const key = raw.slice(0, eq).trim();
    if (!KEY.test(key)) throw new ConfigError(file, line, 'invalid key name (letters, digits, "_" and "-", starting with a letter)');
    if (group === undefined) throw new ConfigError(file, line, `key "${key}" outside of any [Group]`);
    const id = `${group}\0${key}`;
    if (seen.has(id)) throw new ConfigError(file, line, `key ${key} appears twice in [${group}] (first on line ${seen.get(id)})`);
    seen.set(id, line);
    entries.push({ group, key, value: raw.slice(eq + 1).trim(), line });
  }
  return { file, entries, groups };
}
