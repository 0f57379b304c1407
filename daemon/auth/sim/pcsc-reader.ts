// The thin I/O shell of the PC/SC SIM: one reader and card through pcscd, via the npm `smartcard`
// binding (N-API, Promise API; it replaces the unmaintained `pcsclite`/node-pcsc binding).
// Every failure of the binding becomes a ReaderError naming its cause.
import { createRequire } from 'node:module';
import { ReaderError, readerErrorFromNative } from './pcsc-errors.js';

type Smartcard = typeof import('smartcard');
type Context = InstanceType<Smartcard['Context']>;
type Card = Awaited<ReturnType<ReturnType<Context['listReaders']>[number]['connect']>>;

export interface PcscReaderOptions {
  /** Reader to use: exact name, or a substring of it; default the first reader with a card. */
  reader?: string;
  /**
   * pcscd's socket (default /run/pcscd/pcscd.comm). libpcsclite reads PCSCLITE_CSOCK_NAME once,
   * at the first PC/SC call of the process, so all readers of one process share one socket.
   */
  socket?: string;
}

let binding: Smartcard | undefined;
let processSocket: string | undefined;

function loadBinding(socket: string | undefined): Smartcard {
  const wanted = socket ?? process.env.PCSCLITE_CSOCK_NAME ?? '';
  if (binding !== undefined) {
    if (processSocket !== wanted) {
      throw new ReaderError('io', `this process already talks to pcscd at "${processSocket || 'the default socket'}"; libpcsclite cannot switch to "${wanted || 'the default socket'}"`);
    }
    return binding;
  }
  if (socket !== undefined) process.env.PCSCLITE_CSOCK_NAME = socket;
  try {
    // Loaded on first use: the native module needs libpcsclite, and the socket must be set before.
    binding = createRequire(import.meta.url)('smartcard') as Smartcard;
  } catch (e) {
    throw new ReaderError('no-service', `cannot load the PC/SC binding (npm smartcard, libpcsclite): ${(e as Error).message}`);
  }
  processSocket = wanted;
  return binding;
}

export class PcscConnection {
  readonly readerName: string;
  readonly #context: Context;
  readonly #card: Card;
  #closed = false;

  private constructor(readerName: string, context: Context, card: Card) {
    this.readerName = readerName;
    this.#context = context;
    this.#card = card;
  }

  static async open(options: PcscReaderOptions = {}): Promise<PcscConnection> {
    const sc = loadBinding(options.socket);
    let context: Context;
    try {
      context = new sc.Context();
    } catch (e) {
      throw readerErrorFromNative(e, 'connecting to pcscd');
    }
    try {
      const readers = context.listReaders();
      const wanted = options.reader;
      const reader = wanted !== undefined
        ? readers.find((r) => r.name === wanted) ?? readers.find((r) => r.name.includes(wanted))
        : readers.find((r) => (r.state & sc.SCARD_STATE_PRESENT) !== 0) ?? readers[0];
      if (reader === undefined) {
        throw new ReaderError('no-reader', wanted !== undefined
          ? `no PC/SC reader named "${wanted}" (readers: ${readers.map((r) => `"${r.name}"`).join(', ') || 'none'})`
          : 'no PC/SC reader found', wanted);
      }
      if ((reader.state & sc.SCARD_STATE_PRESENT) === 0) throw new ReaderError('no-card', `no card in PC/SC reader "${reader.name}"`, reader.name);
      let card: Card;
      try {
        card = await reader.connect(sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1);
      } catch (e) {
        throw readerErrorFromNative(e, 'connecting to the card', reader.name);
      }
      return new PcscConnection(reader.name, context, card);
    } catch (e) {
      context.close();
      throw readerErrorFromNative(e, 'listing readers');
    }
  }

  /** Sends one C-APDU and returns the R-APDU (data and status word). */
  async transmit(apdu: Buffer): Promise<Buffer> {
    if (this.#closed) throw new ReaderError('closed', `PC/SC connection to "${this.readerName}" is closed`, this.readerName);
    try {
      return await this.#card.transmit(apdu, { maxRecvLength: 258 });
    } catch (e) {
      // Another client reset or unpowered the card: PC/SC wants SCardReconnect before the handle
      // works again. Reconnect with a reset, so an unpowered card is powered up (with "leave card"
      // pcsc-lite 1.9.9 keeps it marked unpowered and refuses later connects). The card's
      // selection state is gone either way; PcscSim selects its application before each command.
      if (e instanceof Error && /card was reset/i.test(e.message)) return this.#reconnectAndRetry(apdu);
      const err = readerErrorFromNative(e, 'transmit', this.readerName);
      // pcscd answers a transmit to a vanished card with a generic failure (SCARD_E_NOT_TRANSACTED)
      // and updates the reader state on its next poll (every 400 ms in pcsc-lite): wait for it.
      if (err.cause === 'io' && !(await this.#cardStillPresent())) {
        throw new ReaderError('removed', `card or reader "${this.readerName}" was removed (${(e as Error).message})`, this.readerName);
      }
      throw err;
    }
  }

  async #reconnectAndRetry(apdu: Buffer): Promise<Buffer> {
    const sc = binding!;
    try {
      await this.#card.reconnect(sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1, sc.SCARD_RESET_CARD);
      return await this.#card.transmit(apdu, { maxRecvLength: 258 });
    } catch (e) {
      throw readerErrorFromNative(e, 'transmit after a card reset', this.readerName);
    }
  }

  async #cardStillPresent(waitMs = 1500): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const reader = this.#context.listReaders().find((r) => r.name === this.readerName);
        if (reader === undefined || (reader.state & binding!.SCARD_STATE_PRESENT) === 0) return false;
      } catch {
        return false;
      }
      if (Date.now() >= deadline) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#card.disconnect(binding?.SCARD_LEAVE_CARD);
    } catch {
      // the card may already be gone; the context release below frees the handle anyway
    }
    this.#context.close();
  }
}
