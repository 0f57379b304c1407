// RFC 4733 2.3 telephone-event payload: event (8 bits), E(nd), R, volume (6 bits, -dBm0), duration
// (16 bits, in timestamp units); 3.2: DTMF digits 0-9 are events 0-9, * 10, # 11, A-D 12-15.
import { RtpError } from './packet.js';

const DIGITS = '0123456789*#ABCD';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  /** 0-63, power level as -dBm0 */
  volume: number;
  duration: number;
}

export function eventOfDigit(digit: string): number {
  const i = DIGITS.indexOf(digit.toUpperCase());
  if (i < 0 || digit.length !== 1) throw new RtpError(`"${digit}" is no DTMF digit`);
  return i;
}

/** the DTMF digit of an event, or undefined for the other events (flash, tones) */
export function digitOfEvent(event: number): string | undefined {
  return event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  const b = Buffer.alloc(4);
  b[0] = e.event;
  b[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  b.writeUInt16BE(Math.min(e.duration, 0xffff), 2);
  return b;
}

export function decodeTelephoneEvent(b: Buffer): TelephoneEvent {
  if (b.length < 4) throw new RtpError(`telephone-event payload of ${b.length} octets`);
  return { event: b[0]!, end: (b[1]! & 0x80) !== 0, volume: b[1]! & 0x3f, duration: b.readUInt16BE(2) };
}
