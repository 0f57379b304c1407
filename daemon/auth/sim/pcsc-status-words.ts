// Status words SW1 SW2 of UICC responses (ETSI TS 102 221 10.2.1, TS 31.102 / 31.103 7.3),
// named for error messages. Pure table lookup.

export const SW_OK = 0x9000;

/** 61xx: xx more response bytes are waiting for GET RESPONSE (TS 102 221 10.2.1.1, T=0). */
export const isMoreData = (sw: number): boolean => sw >> 8 === 0x61;
/** 6Cxx: wrong Le; xx is the exact length to ask for (TS 102 221 10.2.1.3). */
export const isWrongLe = (sw: number): boolean => sw >> 8 === 0x6c;
/** 91xx: normal ending with a pending proactive command (TS 102 221 10.2.1.1); the command succeeded. */
export const isOkWithProactive = (sw: number): boolean => sw >> 8 === 0x91;
/** 9862: AUTHENTICATE rejected the AUTN's MAC (TS 31.102 / 31.103 7.3). */
export const SW_AUTH_INCORRECT_MAC = 0x9862;

const MEANINGS = new Map<number, string>([
  [0x9000, 'normal ending'],
  [0x6282, 'end of file or record reached before reading Le bytes'],
  [0x6283, 'selected file invalidated'],
  [0x6581, 'memory problem'],
  [0x6700, 'wrong length'],
  [0x6881, 'logical channel not supported'],
  [0x6981, 'command incompatible with file structure'],
  [0x6982, 'security status not satisfied'],
  [0x6983, 'authentication/PIN method blocked'],
  [0x6984, 'referenced data invalidated'],
  [0x6985, 'conditions of use not satisfied'],
  [0x6986, 'command not allowed, no EF selected'],
  [0x6a80, 'incorrect parameters in the data field'],
  [0x6a81, 'function not supported'],
  [0x6a82, 'file or application not found'],
  [0x6a83, 'record not found'],
  [0x6a84, 'not enough memory space'],
  [0x6a86, 'incorrect parameters P1 to P2'],
  [0x6a87, 'Lc inconsistent with P1 to P2'],
  [0x6a88, 'referenced data not found'],
  [0x6b00, 'wrong parameters P1-P2'],
  [0x6d00, 'instruction code not supported or invalid'],
  [0x6e00, 'class not supported'],
  [0x6f00, 'technical problem, no precise diagnosis'],
  [0x9862, 'authentication error, incorrect MAC'],
  [0x9863, 'security session or association expired'],
  [0x9864, 'authentication error, security context not supported'],
  [0x9865, 'key freshness failure'],
  [0x9866, 'authentication error, no memory space available'],
  [0x9867, 'authentication error, no memory space available in EF_MUK'],
]);

/** Four upper-case hex digits, e.g. "6A82". */
export function formatSw(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

export function describeSw(sw: number): string {
  const known = MEANINGS.get(sw);
  if (known !== undefined) return known;
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  if (sw1 === 0x61) return `${sw2} response bytes still available`;
  if (sw1 === 0x6c) return `wrong Le, ${sw2} bytes available`;
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) return `verification failed, ${sw2 & 0x0f} retries left`;
  if (sw1 === 0x64) return 'execution error, state of non-volatile memory unchanged';
  if (sw1 === 0x65) return 'execution error, state of non-volatile memory changed';
  if (sw1 === 0x98) return 'security management error';
  return 'unknown status';
}
