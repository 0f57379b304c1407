// VoiceCallManager's argument rules, shared by the service (daemon/dbus) and imsctl so both refuse
// the same input with the same words.
import type { HideCallerId } from './backend.js';

// oFono src/common.c valid_phone_number_format(): optional '+', then 1..80 of 0-9 * #
const PHONE_NUMBER = /^\+?[0-9*#]{1,80}$/;
const HIDE_CALLERID: readonly string[] = ['', 'default', 'enabled', 'disabled'];
// 3GPP TS 27.007 C.2.11: DTMF tones 0-9 * # A-D; oFono (src/voicecall.c tone_queue) also takes a
// pause 'p' and upper-cases the string first
const TONES = /^[0-9*#A-Dp]+$/i;

export const PHONE_NUMBER_RULE = 'a number is [+][0-9*#]{1,80}';
export const HIDE_CALLERID_RULE = 'hide_callerid is one of "", default, enabled, disabled';
export const TONES_RULE = 'tones are 0-9 * # A-D (p for a pause)';

export const isPhoneNumber = (value: unknown): value is string => typeof value === 'string' && PHONE_NUMBER.test(value);

export const isHideCallerId = (value: unknown): value is HideCallerId => typeof value === 'string' && HIDE_CALLERID.includes(value);

export const isTones = (value: unknown): value is string => typeof value === 'string' && TONES.test(value);

/** what the backend receives: oFono upper-cases tones before queueing them */
export const normalizeTones = (tones: string): string => tones.toUpperCase();
