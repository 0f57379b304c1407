// What the AT channel may log of a command: everything, except the APDU of a UICC AUTHENTICATE
// (TS 31.102 7.1.2, INS 88) sent through +CSIM/+CGLA and the card's answer to it, which carry
// RAND/AUTN and RES/CK/IK or AUTS. The rest of a +CSIM/+CGLA exchange (SELECT, READ) is public.

/** 27.007 8.17 +CSIM=<length>,"<command>" / 8.43 +CGLA=<sessionid>,<length>,"<command>" */
const APDU_COMMAND = /^AT\+(CSIM=\d+|CGLA=\d+,\d+),"?([0-9A-Fa-f]*)"?\s*$/i;

/** true when the command carries an AUTHENTICATE APDU (its response must not be logged either) */
export function isSensitiveCommand(command: string): boolean {
  const m = APDU_COMMAND.exec(command);
  if (!m) return false;
  const apdu = m[2]!;
  return apdu.length >= 4 && apdu.slice(2, 4).toUpperCase() === '88';
}

/** The command as a log line may show it. */
export function loggableCommand(command: string, sensitive: boolean): string {
  if (!sensitive) return command;
  const m = APDU_COMMAND.exec(command);
  // keep the APDU header (CLA INS P1 P2), hide the data
  if (m) return `AT+${m[1]},"${m[2]!.slice(0, 8)}…" (AUTHENTICATE data not logged)`;
  return `${command.split(/[=?]/)[0]}… (not logged)`;
}
