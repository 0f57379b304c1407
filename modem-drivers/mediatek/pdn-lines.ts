// MediaTek's PDN lines (COMMANDS.md "IMS PDN"): "+EPDN:" answers and URCs, "+EIMSPDN:"
// notifications, the "+CGEV: NW REACT" form MediaTek's RIL handles (the other +CGEV forms are read by
// the generic parser in ../at/responses.ts). Pure functions; a line
// that does not fit throws MediatekParseError naming the field.
import { parseAddresses } from '../at/responses.js';
import { afterPrefix, intField, MediatekParseError, optionalInt, splitFields } from './fields.js';

/** RmcDataDefs.h TRANSACTION_ID_OFFSET: <trans_intf_id> = transaction id * 100 + interface id */
const TRANSACTION_ID_OFFSET = 100;

/** "+CGEV: NW REACT <PDP_type>,<PDP_addr>[,<aid>]" → the aid when given */
export function parseNwReact(line: string): { aid?: number } | undefined {
  const m = /^\+CGEV:\s*NW REACT\s+(.*)$/i.exec(line.trim());
  if (!m) return undefined;
  const aid = optionalInt(splitFields(line, m[1]!), 2);
  return aid !== undefined ? { aid } : {};
}

/** an +EPDN address: 27.007 dotted-decimal (IPv6 as 16 numbers, optionally "/<prefix>") or usual notation */
function address(line: string, raw: string): string {
  let parsed: string[];
  try {
    parsed = parseAddresses(raw.split('/')[0]!);
  } catch (e) {
    throw new MediatekParseError(line, (e as Error).message);
  }
  if (parsed.length !== 1) throw new MediatekParseError(line, `"${raw}" is not one IP address`);
  return parsed[0]!;
}

export type EpdnLine =
  /** +EPDN:<aid>,"new",<rat>,<trans_intf_id>,<mtu>,<addr_type>,<addr1>[,<addr2>] */
  | { aid: number; kind: 'new'; rat: number; interfaceId: number; mtu: number; addresses: string[] }
  /** +EPDN:<aid>,"update",<trans_intf_id>,<addr_type>,<addr1>[,<addr2>] */
  | { aid: number; kind: 'update'; interfaceId: number; addresses: string[] }
  /** +EPDN:<aid>,"err",<err> */
  | { aid: number; kind: 'err'; error: number }
  /** +EPDN: <aid>,"dcchg",<event> (aid absent for event 129) */
  | { aid: number | undefined; kind: 'dcchg'; event: number }
  /** +EPDN:<aid>,"deact_info",... / "addr", ... : not used by the driver */
  | { aid: number | undefined; kind: 'other'; what: string };

/** RmcDataDefs.h DC_EVENT_*: why a PDN's properties changed */
export const DC_EVENT = { DATA_RESET_NOTIFY: 0x81, IP_NORMAL_CHANGE: 0x100, NO_RA: 0x101, HANDOVER_NORMAL_CHANGE: 0x200 } as const;

/** <addr_type> 1 IPv4, 2 IPv6, 3 IPv4v6 (NETAGENT_ADDR_TYPE_*); addresses normalised */
function addresses(line: string, type: number, f: string[], at: number): string[] {
  const a1 = f[at];
  const a2 = f[at + 1];
  if (a1 === undefined || a1 === '') throw new MediatekParseError(line, 'no address');
  if (type === 1 || type === 2) return [address(line, a1)];
  if (type === 3) {
    if (a2 === undefined || a2 === '') throw new MediatekParseError(line, 'address type 3 (IPv4v6) with one address');
    return [address(line, a1), address(line, a2)];
  }
  throw new MediatekParseError(line, `unknown <address type> ${type}`);
}

export function parseEpdn(line: string): EpdnLine {
  const text = afterPrefix(line, '+EPDN');
  if (text === undefined) throw new MediatekParseError(line, 'not a +EPDN line');
  const f = splitFields(line, text);
  const aid = f[0] === '' || f[0] === undefined ? undefined : intField(line, f, 0, '<aid>');
  const kind = (f[1] ?? '').toLowerCase();
  const needAid = (): number => {
    if (aid === undefined) throw new MediatekParseError(line, '<aid> missing');
    return aid;
  };
  switch (kind) {
    case 'new': {
      const addrType = intField(line, f, 5, '<address type>');
      return { aid: needAid(), kind: 'new', rat: intField(line, f, 2, '<rat type>'), interfaceId: intField(line, f, 3, '<interface id>') % TRANSACTION_ID_OFFSET, mtu: intField(line, f, 4, '<mtu>'), addresses: addresses(line, addrType, f, 6) };
    }
    case 'update': {
      const addrType = intField(line, f, 3, '<address type>');
      return { aid: needAid(), kind: 'update', interfaceId: intField(line, f, 2, '<interface id>') % TRANSACTION_ID_OFFSET, addresses: addresses(line, addrType, f, 4) };
    }
    case 'err':
      return { aid: needAid(), kind: 'err', error: optionalInt(f, 2) ?? -1 };
    case 'dcchg':
      return { aid, kind: 'dcchg', event: intField(line, f, 2, '<event>') };
    case '':
      throw new MediatekParseError(line, 'no command word after <aid>');
    default:
      return { aid, kind: 'other', what: kind };
  }
}

export type EimspdnLine =
  /** +EIMSPDN: "notify",<aid>,<action>,"<type>": the modem asks the AP to set up (1) or release (0) the IMS PDN */
  | { kind: 'notify'; aid: number; activate: boolean; type: string }
  /** +EIMSPDN: "init": the modem's IMS data framework (re)started */
  | { kind: 'init' };

export function parseEimspdn(line: string): EimspdnLine {
  const text = afterPrefix(line, '+EIMSPDN');
  if (text === undefined) throw new MediatekParseError(line, 'not a +EIMSPDN line');
  const f = splitFields(line, text);
  const kind = (f[0] ?? '').toLowerCase();
  if (kind === 'init') return { kind: 'init' };
  if (kind !== 'notify') throw new MediatekParseError(line, `unknown +EIMSPDN command "${f[0] ?? ''}"`);
  const action = intField(line, f, 2, '<action>');
  if (action !== 0 && action !== 1) throw new MediatekParseError(line, `<action> must be 0 or 1 (not ${action})`);
  return { kind: 'notify', aid: intField(line, f, 1, '<aid>'), activate: action === 1, type: f[3] ?? '' };
}
