// A SimCard over the modem's AT interface ([Sim] Source=modem): the card's application list from
// EF_DIR through restricted access (+CRSM, 27.007 8.18), a logical channel to the ISIM (else the
// USIM) with +CCHO (8.45), every APDU in it through +CGLA (8.43) and the channel closed with +CCHC
// (8.46); a modem without logical channels gets the APDUs on the basic channel through +CSIM
// (8.17). The APDUs, the file parsing and the AUTHENTICATE parsing are the PC/SC SIM's
// (daemon/auth/sim/pcsc-*), so both give the same identities and results for the same card, with
// the same typed errors (CardStatusError naming the status word, ReaderError for the link).
import * as A from '../../daemon/auth/sim/pcsc-apdu.js';
import { chooseApplication, readIdentities, readRecords, type CardApplication } from '../../daemon/auth/sim/pcsc-applications.js';
import { parseAuthenticateResponse } from '../../daemon/auth/sim/pcsc-authenticate.js';
import { CardDataError, CardStatusError, ReaderError, type ReaderErrorCause } from '../../daemon/auth/sim/pcsc-errors.js';
import { FID, ISIM_AID_PREFIX, parseDirRecord, USIM_AID_PREFIX, type DirEntry } from '../../daemon/auth/sim/pcsc-uicc-files.js';
import { CommandQueue, copyIdentities, type SimAuthResult, type SimCard, type SimIdentities } from '../../daemon/auth/sim/sim-card.js';
import { copyApplication, expectChallenge } from '../../daemon/auth/sim/uicc-common.js';
import { silentLogger, type Logger } from '../../daemon/log/logger.js';
import { describeFinal } from './result-codes.js';
import { splitParams } from './responses.js';
import { AtError, AtTimeoutError, type AtChannel, type AtResponse } from './types.js';

export interface AtSimOptions {
  /** the channel, or a getter for the one in use now (the driver's, which may be reopened) */
  channel: AtChannel | (() => AtChannel);
  /** a name for errors, e.g. "modem /dev/ttyUSB2" */
  name?: string;
  logger?: Logger;
}

type Mode = { kind: 'cgla'; session: number } | { kind: 'csim' };

/** 27.007 9.2: the +CME ERRORs that mean the card is absent or unusable */
const CME_CAUSE: Record<number, ReaderErrorCause> = { 10: 'no-card', 13: 'removed', 14: 'unresponsive', 15: 'removed' };

/**
 * TS 102 221 10.1.1: logical channels 0-3 in b2-b1 of CLA '0X', 4-19 in b4-b1 of CLA '4X' (b7 set).
 * The session id +CCHO returns is taken as the channel number, as modems that forward +CGLA
 * unchanged to the card require.
 */
export function onChannel(apdu: Buffer, channel: number): Buffer {
  if (channel < 0 || channel > 19) throw new CardDataError(`logical channel ${channel} is outside 0-19`);
  const out = Buffer.from(apdu);
  const cla = apdu[0]! & 0x80 ? apdu[0]! : apdu[0]! & 0xb0; // keep proprietary classes as they are
  out[0] = channel <= 3 ? (cla & 0xbc) | channel : 0x40 | (cla & 0x30) | (channel - 4);
  return out;
}

const HEX = /^[0-9A-Fa-f]*$/;

export class AtSim implements SimCard {
  readonly #channel: () => AtChannel;
  readonly #name: string;
  readonly #log: Logger;
  readonly #queue = new CommandQueue();
  #mode: Mode = { kind: 'csim' };
  #app: CardApplication | undefined;
  #identities: SimIdentities | undefined;
  #closed = false;
  /** set while an AUTHENTICATE exchange runs: its GET RESPONSE carries RES/CK/IK */
  #sensitive = false;

  private constructor(options: AtSimOptions) {
    const ch = options.channel;
    this.#channel = typeof ch === 'function' ? ch : () => ch;
    this.#name = options.name ?? 'modem';
    this.#log = (options.logger ?? silentLogger).child('sim/modem');
  }

  /** Finds the ISIM or USIM, opens a logical channel to it (or falls back to +CSIM) and reads the identities. */
  static async open(options: AtSimOptions): Promise<AtSim> {
    const sim = new AtSim(options);
    try {
      const entries = await sim.#listApplications();
      sim.#app = await sim.#openApplication(entries);
      sim.#identities = await readIdentities(sim.#transmit, sim.#app);
      sim.#log.info('SIM over AT ready', { application: sim.#app.kind, access: sim.#mode.kind === 'cgla' ? `+CGLA session ${sim.#mode.session}` : '+CSIM basic channel', impi: sim.#identities.impi });
      return sim;
    } catch (e) {
      await sim.close().catch(() => undefined);
      throw e;
    }
  }

  get application(): CardApplication {
    return copyApplication(this.#app!);
  }

  /** '+CGLA' (a logical channel) or '+CSIM' (the basic channel) */
  get access(): '+CGLA' | '+CSIM' {
    return this.#mode.kind === 'cgla' ? '+CGLA' : '+CSIM';
  }

  identities(): Promise<SimIdentities> {
    if (this.#closed || !this.#identities) return Promise.reject(this.#closedError());
    return Promise.resolve(copyIdentities(this.#identities));
  }

  authenticate(rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    return this.#queue.run(() => this.#authenticateNow(rand, autn));
  }

  async #authenticateNow(rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    if (this.#closed) throw this.#closedError();
    expectChallenge(rand, autn);
    const app = this.#app!;
    try {
      return await this.#authenticateOnce(app, rand, autn);
    } catch (e) {
      // A modem reset closes the logical channel: open it again once and retry.
      if (!(e instanceof ReaderError) || e.cause !== 'io' || this.#mode.kind !== 'cgla') throw e;
      this.#log.notice('logical channel to the card lost; opening it again', { error: e.message });
      this.#mode = { kind: 'cgla', session: await this.#openChannel(app.aid) };
      return this.#authenticateOnce(app, rand, autn);
    }
  }

  async #authenticateOnce(app: CardApplication, rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    // the basic channel is the modem's too: make our application current again first (as PcscSim does)
    if (this.#mode.kind === 'csim') await A.exchangeOk(this.#transmit, A.reselectAid(app.aid), `SELECT ${app.kind.toUpperCase()}`);
    this.#sensitive = true;
    try {
      return parseAuthenticateResponse(await A.exchange(this.#transmit, A.authenticate(rand, autn), 'AUTHENTICATE'));
    } finally {
      this.#sensitive = false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drained();
    if (this.#mode.kind === 'cgla') {
      const session = this.#mode.session;
      this.#mode = { kind: 'csim' };
      try {
        const r = await this.#channel().command(`AT+CCHC=${session}`);
        if (r.final.kind !== 'ok') this.#log.notice('modem refused to close the logical channel', { session, result: describeFinal(r.final) });
      } catch (e) {
        this.#log.debug('logical channel not closed', { session, error: (e as Error).message });
      }
    }
  }

  // ---- finding and opening the application ----

  /** EF_DIR through +CRSM (27.007 8.18: GET RESPONSE 192, READ RECORD 178; file id in decimal) */
  async #listApplications(): Promise<DirEntry[]> {
    try {
      return await this.#readDirByCrsm();
    } catch (e) {
      if (e instanceof ReaderError && e.cause !== 'io') throw e;
      this.#log.notice('EF_DIR not readable through +CRSM; trying the ISIM and USIM by their AID prefix', { error: (e as Error).message });
      return [];
    }
  }

  async #readDirByCrsm(): Promise<DirEntry[]> {
    const fid = FID.EF_DIR;
    const info = await this.#crsm(`AT+CRSM=192,${fid}`, 'GET RESPONSE EF_DIR');
    // the FCP template of TS 102 221, read through the PC/SC SIM's parser by way of a fake card
    const records = await readRecords(async (apdu) => {
      if (apdu[1] === A.INS.SELECT) return Buffer.concat([info, Buffer.from([0x90, 0x00])]);
      if (apdu[1] === A.INS.READ_RECORD) {
        const data = await this.#crsm(`AT+CRSM=178,${fid},${apdu[2]},4,${apdu[4]}`, `READ RECORD ${apdu[2]} EF_DIR`);
        return Buffer.concat([data, Buffer.from([0x90, 0x00])]);
      }
      throw new CardDataError('unexpected command while reading EF_DIR');
    }, fid, 'EF_DIR');
    return records.map(parseDirRecord).filter((e): e is DirEntry => e !== null);
  }

  /** +CRSM: <sw1>,<sw2>[,<response>]; anything but 9000/91xx is a CardStatusError */
  async #crsm(command: string, name: string): Promise<Buffer> {
    const r = await this.#at(command);
    const line = r.lines.find((l) => l.startsWith('+CRSM:'));
    if (!line) throw new CardDataError(`modem answered ${name} without a +CRSM line`);
    const [sw1, sw2, data = ''] = splitParams(line, '+CRSM');
    if (!/^\d+$/.test(sw1 ?? '') || !/^\d+$/.test(sw2 ?? '') || !HEX.test(data) || data.length % 2 !== 0) throw new CardDataError(`malformed +CRSM answer to ${name}`);
    const sw = (Number(sw1) << 8) | Number(sw2);
    if (sw !== 0x9000 && sw >> 8 !== 0x91) throw new CardStatusError(name, sw);
    return Buffer.from(data, 'hex');
  }

  async #openApplication(entries: DirEntry[]): Promise<CardApplication> {
    const candidates: CardApplication[] = entries.length > 0
      ? [chooseApplication(entries)]
      // TS 102 221 8.5.2: a right-truncated AID selects the application it starts
      : [{ kind: 'isim', aid: ISIM_AID_PREFIX }, { kind: 'usim', aid: USIM_AID_PREFIX }];
    let refused: AtError | undefined;
    for (const app of candidates) {
      try {
        this.#mode = { kind: 'cgla', session: await this.#openChannel(app.aid) };
        return app;
      } catch (e) {
        if (!(e instanceof AtError) || e instanceof AtTimeoutError) throw e;
        refused = e;
      }
    }
    // no logical channels: the basic channel through +CSIM, with the application SELECTed there
    this.#log.notice('modem refused +CCHO; using +CSIM on the basic channel', { result: refused?.message });
    this.#mode = { kind: 'csim' };
    if (entries.length > 0) return chooseApplication(entries);
    for (const app of candidates) {
      const r = await A.exchange(this.#transmit, A.selectAid(app.aid), `SELECT ${app.kind.toUpperCase()}`);
      if (r.sw === 0x9000) return app;
    }
    throw new CardDataError('the card has neither an ISIM nor a USIM that the modem lets us select');
  }

  /** 27.007 8.45: +CCHO=<dfname> answers <sessionid> (some modems prefix it with "+CCHO: ") */
  async #openChannel(aid: Buffer): Promise<number> {
    const command = `AT+CCHO="${aid.toString('hex').toUpperCase()}"`;
    const r = await this.#channel().command(command);
    if (r.final.kind !== 'ok') throw new AtError(command, r.final, describeFinal(r.final));
    const line = r.lines.map((l) => l.replace(/^\+CCHO:\s*/, '')).find((l) => /^\d+$/.test(l));
    if (line === undefined) throw new CardDataError(`modem answered ${command} without a session id`);
    return Number(line);
  }

  // ---- APDU transport ----

  readonly #transmit = async (apdu: Buffer): Promise<Buffer> => {
    const hex = (this.#mode.kind === 'cgla' ? onChannel(apdu, this.#mode.session) : apdu).toString('hex').toUpperCase();
    const command = this.#mode.kind === 'cgla' ? `AT+CGLA=${this.#mode.session},${hex.length},"${hex}"` : `AT+CSIM=${hex.length},"${hex}"`;
    const prefix = this.#mode.kind === 'cgla' ? '+CGLA' : '+CSIM';
    const r = await this.#at(command);
    const line = r.lines.find((l) => l.toUpperCase().startsWith(`${prefix}:`));
    if (!line) throw new CardDataError(`modem answered ${prefix} without a ${prefix} line`);
    // 27.007 8.17 / 8.43: <length>,<response>; <length> counts the hex characters
    const [length, response = ''] = splitParams(line, prefix);
    if (!HEX.test(response) || response.length % 2 !== 0 || response.length < 4) throw new CardDataError(`malformed ${prefix} response (${response.length} characters)`);
    if (length !== String(response.length)) this.#log.debug(`${prefix} length differs from the response`, { length, characters: response.length });
    return Buffer.from(response, 'hex');
  };

  /** one AT command; AT-level failures become ReaderErrors (the card's status words stay CardStatusErrors) */
  async #at(command: string): Promise<AtResponse> {
    if (this.#closed && !command.startsWith('AT+CCHC')) throw this.#closedError();
    let r: AtResponse;
    try {
      r = await this.#channel().command(command, { sensitive: this.#sensitive });
    } catch (e) {
      if (e instanceof AtTimeoutError) throw new ReaderError('unresponsive', `${this.#name} did not answer ${command.split('=')[0]} (${e.message.split(': ').pop()})`, this.#name);
      throw new ReaderError('removed', `${this.#name}: ${(e as Error).message}`, this.#name);
    }
    if (r.final.kind === 'ok') return r;
    const cause = r.final.kind === 'cme-error' && typeof r.final.code === 'number' ? CME_CAUSE[r.final.code] ?? 'io' : 'io';
    throw new ReaderError(cause, `${this.#name} answered ${command.split('=')[0]} with ${describeFinal(r.final)}`, this.#name);
  }

  #closedError(): ReaderError {
    return new ReaderError('closed', `SIM over AT on ${this.#name} is closed`, this.#name);
  }

  toJSON(): object {
    return { source: this.#identities?.source, modem: this.#name, impi: this.#identities?.impi };
  }
}
