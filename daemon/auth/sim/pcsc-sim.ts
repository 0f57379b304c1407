// A SimCard on a physical (or virtual) UICC behind a PC/SC reader: the ISIM when the card has
// one, else the USIM with identities derived from the IMSI. Commands run one at a time.
import * as A from './pcsc-apdu.js';
import { chooseApplication, listApplications, readIdentities, type CardApplication } from './pcsc-applications.js';
import { parseAuthenticateResponse } from './pcsc-authenticate.js';
import { ReaderError } from './pcsc-errors.js';
import { PcscConnection, type PcscReaderOptions } from './pcsc-reader.js';
import { CommandQueue, copyIdentities, type SimAuthResult, type SimCard, type SimIdentities } from './sim-card.js';
import { copyApplication, expectChallenge } from './uicc-common.js';

/** What PcscSim needs from a reader connection; PcscConnection is the real one. */
export interface ApduLink {
  readonly readerName: string;
  transmit(apdu: Buffer): Promise<Buffer>;
  close(): void;
}

export type PcscSimOptions = PcscReaderOptions;

export class PcscSim implements SimCard {
  readonly #link: ApduLink;
  readonly #app: CardApplication;
  readonly #identities: SimIdentities;
  readonly #queue = new CommandQueue();
  #closed = false;

  private constructor(link: ApduLink, app: CardApplication, ids: SimIdentities) {
    this.#link = link;
    this.#app = app;
    this.#identities = ids;
  }

  /** Connects to the reader, finds the ISIM or USIM and reads the identities. */
  static async open(options: PcscSimOptions = {}): Promise<PcscSim> {
    return PcscSim.onLink(await PcscConnection.open(options));
  }

  /** The same over any APDU link; the link is closed if the card cannot be used. */
  static async onLink(link: ApduLink): Promise<PcscSim> {
    try {
      const t: A.Transmit = (apdu) => link.transmit(apdu);
      const app = chooseApplication(await listApplications(t));
      const ids = await readIdentities(t, app);
      return new PcscSim(link, app, ids);
    } catch (e) {
      link.close();
      throw e;
    }
  }

  get application(): CardApplication {
    return copyApplication(this.#app);
  }

  get readerName(): string {
    return this.#link.readerName;
  }

  identities(): Promise<SimIdentities> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return Promise.resolve(copyIdentities(this.#identities));
  }

  authenticate(rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    return this.#queue.run(() => this.#authenticateNow(rand, autn));
  }

  async #authenticateNow(rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    if (this.#closed) throw this.#closedError();
    expectChallenge(rand, autn);
    const t: A.Transmit = (apdu) => this.#link.transmit(apdu);
    // The reader is shared (SCARD_SHARE_SHARED): make our application current again first.
    await A.exchangeOk(t, A.reselectAid(this.#app.aid), `SELECT ${this.#app.kind.toUpperCase()}`);
    return parseAuthenticateResponse(await A.exchange(t, A.authenticate(rand, autn), 'AUTHENTICATE'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drained();
    this.#link.close();
  }

  #closedError(): ReaderError {
    return new ReaderError('closed', `PC/SC SIM on "${this.#link.readerName}" is closed`, this.#link.readerName);
  }

  toJSON(): object {
    return { source: this.#identities.source, reader: this.#link.readerName, impi: this.#identities.impi };
  }
}
