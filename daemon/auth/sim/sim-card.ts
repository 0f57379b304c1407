// The SIM abstraction every credential source implements (a physical ISIM/USIM behind a reader or
// a modem, or the configured soft SIM): identities for registration and the AKA challenge itself.

export type SimSource = 'isim' | 'usim' | 'soft';

export interface SimIdentities {
  /** Private user identity (TS 23.003 13.3), e.g. `<imsi>@ims.mnc001.mcc001.3gppnetwork.org`. */
  impi: string;
  /** Public user identities (TS 23.003 13.4), first one used for REGISTER. */
  impus: string[];
  /** Home network domain name (TS 23.003 13.2). */
  homeDomain: string;
  /** P-CSCF addresses known to the SIM (ISIM EF_PCSCF); may be empty. */
  pcscf: string[];
  imsi?: string;
  source: SimSource;
}

/**
 * Outcome of AUTHENTICATE (TS 31.102 / 31.103 7.1). A rejected challenge is a result, not an error:
 * the caller answers the network differently for each kind.
 *
 * `mac-failure` also covers an AUTN whose MAC is right but whose AMF is unacceptable under the
 * configured policy (separation bit unset when it is required): in both cases the network is not
 * authenticated and the UE sends no RES and no AUTS. `cause` tells the two apart for logs.
 */
export type SimAuthResult =
  | { kind: 'ok'; res: Buffer; ck: Buffer; ik: Buffer }
  | { kind: 'sync-failure'; auts: Buffer }
  | { kind: 'mac-failure'; cause?: 'mac' | 'amf' };

export interface SimCard {
  identities(): Promise<SimIdentities>;
  /** RAND and AUTN are 16 bytes each (wrong lengths reject with AuthInputError). */
  authenticate(rand: Buffer, autn: Buffer): Promise<SimAuthResult>;
  /** Releases the card; later calls reject. Safe to call twice. */
  close(): Promise<void>;
}

/** A copy the caller may change without touching the card's own lists. */
export function copyIdentities(ids: SimIdentities): SimIdentities {
  return { ...ids, impus: ids.impus.slice(), pcscf: ids.pcscf.slice() };
}

/**
 * Runs a card's commands one at a time, in call order, as a card does: each AUTHENTICATE sees the
 * state (SQN array, selected file) the previous one left. A failed command does not block the next.
 */
export class CommandQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(command: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(command);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** settles once every command queued so far has finished */
  drained(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
