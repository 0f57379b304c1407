// MediaTek's IMS-control and call lines (COMMANDS.md "modem-ims mode"): +CIREGU, +EIMS/+EIMCFLAG,
// +ECPI call progress and +EAIC incoming-call approval. Pure functions; a line that does not fit
// throws MediatekParseError.
import { afterPrefix, intField, MediatekParseError, optionalInt, splitFields } from './fields.js';

export interface ImsRegistration {
  registered: boolean;
  /** 27.007 8.71 <ext_info> bit mask (1 RTP voice, 2 RTP text, 4 SMS, 8 RTP video); absent with +CIREG=1 */
  extInfo?: number;
}

/** "+CIREGU: 1,5". MediaTek's RIL reads <ext_info> as hexadecimal (handleImsRegistrationInfo). */
export function parseCiregu(line: string): ImsRegistration {
  const text = afterPrefix(line, '+CIREGU');
  if (text === undefined) throw new MediatekParseError(line, 'not a +CIREGU line');
  const f = splitFields(line, text);
  const reg = intField(line, f, 0, '<reg_info>');
  if (reg !== 0 && reg !== 1) throw new MediatekParseError(line, `<reg_info> must be 0 or 1 (not ${reg})`);
  const ext = f[1];
  if (ext === undefined || ext === '') return { registered: reg === 1 };
  if (!/^(0x)?[0-9a-fA-F]{1,8}$/.test(ext)) throw new MediatekParseError(line, `<ext_info> "${ext}" is not a number`);
  return { registered: reg === 1, extInfo: parseInt(ext, 16) };
}

/** "+EIMS: 1" (enabling started) / "+EIMCFLAG: 1" (enabled); 0 for disabling/disabled */
export function parseImsSwitch(line: string): { phase: 'starting' | 'done'; enabled: boolean } | undefined {
  const m = /^\+(EIMS|EIMCFLAG):\s*([01])\s*$/i.exec(line.trim());
  if (!m) return undefined;
  return { phase: m[1]!.toUpperCase() === 'EIMS' ? 'starting' : 'done', enabled: m[2] === '1' };
}

/** ImsCallSessionProxy CALL_INFO_MSG_TYPE_* / RtcCallController: what a +ECPI <msg_type> means */
export const ECPI = {
  SETUP: 0,
  ALERT: 2,
  CONNECTED: 6,
  MO_CALL_ID_ASSIGN: 130,
  HELD: 131,
  ACTIVE: 132,
  DISCONNECTED: 133,
  REMOTE_HOLD: 135,
  REMOTE_RESUME: 136,
} as const;

export interface EcpiLine {
  callId: number;
  msgType: number;
  /** in-band tones (early media) from the network */
  inbandTones: boolean;
  /** 0 MO, 1 MT (absent on disconnect messages) */
  direction?: 'outgoing' | 'incoming';
  /** 0 CS, 10 3G video, 20 VoLTE, 21 ViLTE, 22 VoLTE conference */
  callMode?: number;
  number?: string;
  /** 27.007/24.008 cause on msg_type 133 */
  cause?: number;
}

/** "+ECPI: <call_id>,<msg_type>,<is_ibt>,<is_tch>,<dir>,<call_mode>[,<number>,<toa>],"<pau>"[,<cause>]" */
export function parseEcpi(line: string): EcpiLine {
  const text = afterPrefix(line, '+ECPI');
  if (text === undefined) throw new MediatekParseError(line, 'not a +ECPI line');
  const f = splitFields(line, text);
  if (f.length < 4) throw new MediatekParseError(line, `only ${f.length} fields (at least <call_id>,<msg_type>,<is_ibt>,<is_tch>)`);
  const dir = optionalInt(f, 4);
  const callMode = optionalInt(f, 5);
  const number = f[6];
  const cause = optionalInt(f, 9);
  return {
    callId: intField(line, f, 0, '<call_id>'),
    msgType: intField(line, f, 1, '<msg_type>'),
    inbandTones: f[2] === '1',
    ...(dir === 0 ? { direction: 'outgoing' as const } : dir === 1 ? { direction: 'incoming' as const } : {}),
    ...(callMode !== undefined ? { callMode } : {}),
    ...(number !== undefined && number !== '' ? { number } : {}),
    ...(cause !== undefined ? { cause } : {}),
  };
}

export interface EaicLine {
  callId: number;
  number: string;
  /** type of address (145 international, 129 national) */
  toa?: number;
  callMode: number;
  seqNo: number;
  redirectNumber?: string;
}

/** "+EAIC: <call_id>,<number>,<type>,<call_mode>,<seq_no>[,<redirect_num>]" */
export function parseEaic(line: string): EaicLine {
  const text = afterPrefix(line, '+EAIC');
  if (text === undefined) throw new MediatekParseError(line, 'not a +EAIC line');
  const f = splitFields(line, text);
  if (f.length < 5) throw new MediatekParseError(line, `only ${f.length} fields (need <call_id>,<number>,<type>,<call_mode>,<seq_no>)`);
  const toa = optionalInt(f, 2);
  const redirect = f[5];
  return {
    callId: intField(line, f, 0, '<call_id>'),
    number: f[1]!,
    ...(toa !== undefined ? { toa } : {}),
    callMode: intField(line, f, 3, '<call_mode>'),
    seqNo: intField(line, f, 4, '<seq_no>'),
    ...(redirect !== undefined && redirect !== '' ? { redirectNumber: redirect } : {}),
  };
}
