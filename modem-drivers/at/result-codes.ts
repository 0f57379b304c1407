// Final result codes (ITU-T V.250 5.7.1, 3GPP TS 27.007 9.2 / 27.005 3.2.5) and unsolicited result
// code (URC) recognition. Pure functions on lines.
import type { AtFinal } from './types.js';

/** V.250 6.3.1 / 27.007 6.x: results that end a command without an error */
const OTHER_FINALS = ['NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE'];

/** The final result code a line stands for, or undefined for an information line. */
export function parseFinal(line: string): AtFinal | undefined {
  if (line === 'OK') return { kind: 'ok' };
  if (line === 'ERROR') return { kind: 'error' };
  const cme = /^\+CME ERROR:\s*(.*)$/.exec(line);
  if (cme) return { kind: 'cme-error', code: errorCode(cme[1]!) };
  const cms = /^\+CMS ERROR:\s*(.*)$/.exec(line);
  if (cms) return { kind: 'cms-error', code: errorCode(cms[1]!) };
  if (OTHER_FINALS.includes(line)) return { kind: 'other', text: line };
  // V.250 6.3.8: CONNECT or CONNECT <text> (the DCE goes to online data state)
  if (line === 'CONNECT' || line.startsWith('CONNECT ')) return { kind: 'other', text: line };
  return undefined;
}

/** 27.007 9.1 +CMEE=1 gives numbers, +CMEE=2 text. */
function errorCode(raw: string): number | string {
  const s = raw.trim();
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** "+CME ERROR: 10" style text for messages. */
export function describeFinal(f: AtFinal): string {
  switch (f.kind) {
    case 'ok':
      return 'OK';
    case 'error':
      return 'ERROR';
    case 'cme-error':
      return `+CME ERROR: ${f.code}${typeof f.code === 'number' && CME_TEXT[f.code] ? ` (${CME_TEXT[f.code]})` : ''}`;
    case 'cms-error':
      return `+CMS ERROR: ${f.code}`;
    case 'other':
      return f.text;
  }
}

/** 27.007 9.2.1 / 9.2.2: the +CME ERROR numbers a driver is likely to meet */
export const CME_TEXT: Record<number, string> = {
  0: 'phone failure',
  3: 'operation not allowed',
  4: 'operation not supported',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  30: 'no network service',
  100: 'unknown',
  103: 'illegal MS',
  106: 'illegal ME',
  107: 'GPRS services not allowed',
  111: 'PLMN not allowed',
  112: 'location area not allowed',
  132: 'service option not supported',
  133: 'requested service option not subscribed',
  134: 'service option temporarily out of order',
  148: 'unspecified GPRS error',
  149: 'PDP authentication failure',
  150: 'invalid mobile class',
};

/**
 * The information-text prefix a command's response lines carry: "AT+CGCONTRDP=1" → "+CGCONTRDP",
 * "AT+CGACT?" → "+CGACT"; basic commands ("ATE0", "ATD123;") have none.
 */
export function commandPrefix(command: string): string | undefined {
  const m = /^AT([+%$^*#][A-Za-z0-9]+)/i.exec(command.trim());
  return m ? m[1]!.toUpperCase() : undefined;
}

/** The prefix of an information line or URC, "+CGEV: NW ACT 5,6,1" → "+CGEV". */
export function linePrefix(line: string): string | undefined {
  const m = /^([+%$^*#][A-Za-z0-9]+):/.exec(line);
  return m ? m[1]!.toUpperCase() : undefined;
}

/**
 * 27.007 URCs a driver may see at any time. A line counts as a URC when it starts with one of
 * these, unless it carries the prefix of the command now running (then it answers that command:
 * "+CPIN: READY" after AT+CPIN? is a response, at any other time a URC).
 */
export const DEFAULT_URC_PREFIXES: readonly string[] = [
  '+CGEV:', // 10.1.19 packet domain events
  '+CREG:', '+CGREG:', '+CEREG:', '+C5GREG:', // 7.2, 10.1.20, 10.1.22: registration
  '+CIREGU:', // 8.71 IMS registration information
  '+CIREPI:', '+CIREPH:', // 8.64 IMS voice over PS session and handover
  '+CRING:', 'RING', '+CLIP:', '+CCWA:', '+CSSI:', '+CSSU:', '+CUSD:', // calls and supplementary services
  '+CMTI:', '+CMT:', '+CDS:', '+CBM:', '+CDSI:', // 27.005 SMS
  '+CIEV:', '+CTZV:', '+CTZE:', '+CTZEU:', // indicators and time zone
  '+CPIN:', '+CFUN:', 'RDY', // SIM and functionality changes (after a reset)
  '+CUSATP:', '+CUSATEND', // USAT
];

export function isUrc(line: string, prefixes: readonly string[], pendingPrefix: string | undefined): boolean {
  const hit = prefixes.some((p) => (p.endsWith(':') ? line.startsWith(p) : line === p || line.startsWith(`${p} `) || line.startsWith(`${p}:`)));
  if (!hit) return false;
  return pendingPrefix === undefined || linePrefix(line) !== pendingPrefix;
}
