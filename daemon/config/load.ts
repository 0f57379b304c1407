// Reading the configuration file: /etc/imsd/imsd.conf unless `--config FILE` names another.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseIni } from './ini.js';
import { buildConfig, type ImsdConfig } from './schema.js';

export const DEFAULT_CONFIG_FILE = '/etc/imsd/imsd.conf';

export function parseConfig(file: string, text: string): ImsdConfig {
  return buildConfig(parseIni(file, text));
}

export function loadConfig(file: string = DEFAULT_CONFIG_FILE): ImsdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(file, undefined, `cannot read the configuration file (${err.code ?? err.message})`);
  }
  return parseConfig(file, text);
}
