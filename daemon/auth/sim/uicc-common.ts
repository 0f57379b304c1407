// What every SimCard on a real UICC does the same way, whatever carries its APDUs (a PC/SC reader
// or the modem's AT interface): hand out a copy of the chosen application and check an AKA
// challenge's lengths before any APDU is sent.
import { expectLength } from '../bytes.js';
import type { CardApplication } from './pcsc-applications.js';

/** A copy the caller may change without touching the card's own AID. */
export function copyApplication(app: CardApplication): CardApplication {
  return { kind: app.kind, aid: Buffer.from(app.aid) };
}

/** TS 31.102 7.1.2.1 / 31.103 7.1.2.1: RAND and AUTN are 16 bytes each (else AuthInputError). */
export function expectChallenge(rand: Buffer, autn: Buffer): void {
  expectLength('RAND', rand, 16);
  expectLength('AUTN', autn, 16);
}
