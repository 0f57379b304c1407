// Fills the double-brace placeholders of the Kamailio configs in this folder; an unknown or
// missing placeholder is an error, so a typo cannot produce a silently broken config.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export function renderTemplate(text: string, values: Record<string, string | number>): string {
  const out = text.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`config template: no value for {{${key}}}`);
    return String(v);
  });
  return out;
}

export function renderFile(name: 'pcscf.cfg' | 'scscf-lab.cfg' | 'scscf-cdp.xml', values: Record<string, string | number>): string {
  return renderTemplate(readFileSync(join(HERE, name), 'utf8'), values);
}
