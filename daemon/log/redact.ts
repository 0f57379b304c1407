// Keeps secrets (K, OPc, CK, IK, RES and anything else registered) out of log lines. Three
// guards, so that one slip does not leak a key:
//  1. fields whose name says "secret" (k, opc, ck, ik, res, password, ...) are never printed;
//  2. Buffers are printed as their length only — code that wants bytes in a log renders them to
//     hex itself, deliberately, and only for public values (RAND, AUTN, AUTS);
//  3. every registered secret is searched for, as hex in either case and as base64, in the final
//     line and replaced.

const SECRET_FIELD = /^(k|ki|key|opc?|ck|ik|x?res|password|passwd|secret|.*(_|-)?(key|secret))$/i;
export const REDACTED = '<redacted>';

/** How many recently registered secrets are remembered (CK/IK/RES change with every challenge). */
const MAX_SECRETS = 64;
const secrets: string[] = [];

/** Registers a secret so that no log line can carry it (hex or base64). */
export function registerSecret(value: Buffer): void {
  if (value.length < 4) return; // too short to search for without hitting innocent text
  const forms = [value.toString('hex'), value.toString('base64'), value.toString('base64').replace(/=+$/, '')];
  for (const f of forms) {
    if (secrets.includes(f)) continue;
    secrets.push(f);
    if (secrets.length > MAX_SECRETS * 3) secrets.shift();
  }
}

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Replaces every registered secret in `text`. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (!out.toLowerCase().includes(s.toLowerCase())) continue;
    out = out.replace(new RegExp(escapeRegExp(s), /^[0-9a-f]+$/.test(s) ? 'gi' : 'g'), REDACTED);
  }
  return out;
}

/** Renders a field value for a log line, applying guards 1 and 2. */
export function renderValue(name: string, value: unknown, depth = 0): string {
  if (isSecretField(name)) return REDACTED;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return /^[\w.:@/+-]*$/.test(value) && value.length > 0 ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (depth >= 3) return '<…>';
  if (Array.isArray(value)) return `[${value.map((v) => renderValue('', v, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${renderValue(k, v, depth + 1)}`);
    return `{${parts.join(' ')}}`;
  }
  return `<${typeof value}>`;
}
