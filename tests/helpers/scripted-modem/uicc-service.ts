// The scripted modem's SIM: +CCHO/+CGLA/+CCHC (27.007 8.45/8.43/8.46), +CSIM (8.17) and +CRSM
// (8.18) answered by the virtual UICC of tests/helpers/vcard, one VirtualUicc per logical channel
// (a card keeps a selected file per channel, TS 102 221 8.4) sharing one soft SIM engine, so
// AUTHENTICATE runs real Milenage against the card's SQN state. Features can be switched off to
// play modems without logical channels or restricted access.
import type { SimCard } from '../../../daemon/auth/sim/sim-card.js';
import { buildLayout, type CardContent, type CardLayout } from '../vcard/card-files.js';
import { VirtualUicc } from '../vcard/virtual-uicc.js';
import type { ModemService } from './scripted-modem.js';

export interface UiccServiceOptions {
  /** +CCHO/+CGLA/+CCHC supported (default true) */
  logicalChannels?: boolean;
  /** +CRSM supported (default true) */
  restrictedAccess?: boolean;
  /** how +CCHO prints the session id: "1" as 27.007 says, or "+CCHO: 1" as some modems do */
  cchoPrefix?: boolean;
}

const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

export class UiccService implements ModemService {
  readonly #layout: CardLayout;
  readonly #engine: SimCard;
  readonly #o: UiccServiceOptions;
  readonly #basic: VirtualUicc;
  /** the modem's own view for +CRSM, apart from the channels the host uses */
  readonly #restricted: VirtualUicc;
  readonly #channels = new Map<number, VirtualUicc>();
  /** every APDU the host sent, with the channel it was for (tests check CLA handling) */
  readonly apdus: { channel: number; apdu: string }[] = [];
  /** the card is gone: every SIM command answers +CME ERROR: 10 (SIM not inserted) */
  removed = false;

  constructor(content: CardContent, engine: SimCard, options: UiccServiceOptions = {}) {
    this.#layout = buildLayout(content);
    this.#engine = engine;
    this.#o = options;
    this.#basic = new VirtualUicc(this.#layout, engine);
    this.#restricted = new VirtualUicc(this.#layout, engine);
  }

  /** the VirtualUicc of a channel (0: basic), e.g. to force a status word */
  uicc(channel: number): VirtualUicc | undefined {
    return channel === 0 ? this.#basic : this.#channels.get(channel);
  }

  /** forget every logical channel, as a modem reset does */
  resetChannels(): void {
    this.#channels.clear();
  }

  async handle(command: string): Promise<string[] | undefined> {
    const m = /^AT\+(CCHO|CGLA|CCHC|CSIM|CRSM)=(.*)$/i.exec(command);
    if (!m) return undefined;
    if (this.removed) return ['+CME ERROR: 10'];
    const args = m[2]!.split(',').map((a) => a.replace(/"/g, ''));
    switch (m[1]!.toUpperCase()) {
      case 'CCHO':
        return this.#o.logicalChannels === false ? ['ERROR'] : this.#open(args[0]!);
      case 'CGLA':
        return this.#o.logicalChannels === false ? ['ERROR'] : this.#cgla(args);
      case 'CCHC':
        if (this.#o.logicalChannels === false) return ['ERROR'];
        return this.#channels.delete(Number(args[0])) ? ['OK'] : ['+CME ERROR: 21'];
      case 'CSIM':
        return this.#csim(args);
      case 'CRSM':
        return this.#o.restrictedAccess === false ? ['ERROR'] : this.#crsm(args.map(Number));
    }
    return undefined;
  }

  async #open(aidHex: string): Promise<string[]> {
    const aid = Buffer.from(aidHex, 'hex');
    const uicc = new VirtualUicc(this.#layout, this.#engine);
    const r = await uicc.handle(Buffer.concat([Buffer.from([0x00, 0xa4, 0x04, 0x0c, aid.length]), aid]));
    if (r.readUInt16BE(r.length - 2) !== 0x9000) return ['+CME ERROR: 4'];
    let id = 1;
    while (this.#channels.has(id)) id++;
    if (id > 19) return ['+CME ERROR: 4'];
    this.#channels.set(id, uicc);
    return [this.#o.cchoPrefix ? `+CCHO: ${id}` : String(id), 'OK'];
  }

  async #cgla(args: string[]): Promise<string[]> {
    const session = Number(args[0]);
    const apdu = Buffer.from(args[2] ?? '', 'hex');
    if (Number(args[1]) !== (args[2] ?? '').length || apdu.length < 4) return ['+CME ERROR: 50'];
    const uicc = this.#channels.get(session);
    if (!uicc) return ['+CME ERROR: 21'];
    // TS 102 221 10.1.1: the channel number in CLA must be this session's
    const cla = apdu[0]!;
    const channel = cla & 0x40 ? (cla & 0x0f) + 4 : cla & 0x03;
    this.apdus.push({ channel: session, apdu: hex(apdu) });
    if (channel !== session) return this.#answer('+CGLA', Buffer.from([0x68, 0x81]));
    apdu[0] = 0x00;
    return this.#answer('+CGLA', await uicc.handle(apdu));
  }

  async #csim(args: string[]): Promise<string[]> {
    const apdu = Buffer.from(args[1] ?? '', 'hex');
    if (Number(args[0]) !== (args[1] ?? '').length || apdu.length < 4) return ['+CME ERROR: 50'];
    this.apdus.push({ channel: 0, apdu: hex(apdu) });
    return this.#answer('+CSIM', await this.#basic.handle(apdu));
  }

  #answer(prefix: string, r: Buffer): string[] {
    return [`${prefix}: ${r.length * 2},"${hex(r)}"`, 'OK'];
  }

  /** +CRSM=<command>,<fileid>[,<P1>,<P2>,<P3>]: GET RESPONSE 192, READ BINARY 176, READ RECORD 178 */
  async #crsm([cmd, fileid, p1 = 0, p2 = 0, p3 = 0]: number[]): Promise<string[]> {
    const u = this.#restricted;
    const tx = (b: number[]): Promise<Buffer> => u.handle(Buffer.from(b));
    await tx([0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00]);
    let r = await tx([0x00, 0xa4, 0x00, 0x04, 0x02, fileid! >> 8, fileid! & 0xff, 0x00]);
    if (cmd === 192) {
      if (r[0] === 0x61) r = await tx([0x00, 0xc0, 0x00, 0x00, r[1]!]);
    } else if (r[0] === 0x61 || r.readUInt16BE(r.length - 2) === 0x9000) {
      if (cmd === 178) r = await tx([0x00, 0xb2, p1, p2, p3]);
      else if (cmd === 176) r = await tx([0x00, 0xb0, p1, p2, p3]);
      else return ['+CME ERROR: 4'];
    }
    const data = r.subarray(0, r.length - 2);
    return [`+CRSM: ${r[r.length - 2]},${r[r.length - 1]}${data.length > 0 ? `,"${hex(data)}"` : ''}`, 'OK'];
  }
}
