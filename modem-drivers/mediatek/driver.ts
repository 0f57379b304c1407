// The ModemDriver for MediaTek Gen93 platforms (MT6763 / Volla Phone, `mtkfusionrild`) over an AT
// channel (COMMANDS.md lists every command and its public source). In `imsd` mode imsd is the IMS
// client: the driver brings the IMS PDN up with +EAPNACT, learns its ccmni interface from +EPDN and
// its P-CSCFs from +CGCONTRDP, reports dedicated bearers from +CGEV/+CGEQOSRDP/+CGTFTRDP and answers
// the modem's +EIMSPDN requests, and gives the serving LTE cell as P-Access-Network-Info (27.007
// +CEREG/+COPS, ../at/serving-cell.ts). In `modem-ims` mode MediaTek's IMS stack stays in charge; the
// driver then also reports +CIREGU and runs calls (calls.ts). A channel that closes, or +EIND: 128,
// is a modem reset: `modem-reset`, all state dropped, the device reopened and set up again.
import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../../daemon/log/logger.js';
import { expectOk } from '../at/channel.js';
import { describeFinal } from '../at/result-codes.js';
import { AtParseError, parseCgev } from '../at/responses.js';
import { ServingCell } from '../at/serving-cell.js';
import type { AtChannel, AtResponse } from '../at/types.js';
import { copyPdn, ModemDriverError } from '../driver.js';
import type { BearerInfo, MediaCapabilities, MediaSession, ModemCapabilities, ModemDriver, ModemDriverEvents, PdnInfo } from '../driver.js';
import { DEFAULT_MEDIA, type MediaRecord } from '../simulated/simulated-driver.js';
import { ModemImsCalls, type ModemCall } from './calls.js';
import { RecordedMedia } from './media.js';
import { MediatekParseError } from './fields.js';
import { parseCiregu, parseImsSwitch, type ImsRegistration } from './ims-lines.js';
import { DC_EVENT, parseEimspdn, parseEpdn, parseNwReact } from './pdn-lines.js';
import { bindPdn, queryBearer, type Run } from './queries.js';

export type MediatekMode = 'imsd' | 'modem-ims';

/** MediaTek's URCs (COMMANDS.md) on top of the channel's 27.007 table */
export const MEDIATEK_URC_PREFIXES: readonly string[] = ['+EPDN:', '+EIMSPDN:', '+EIMSPDIS:', '+EIMS:', '+EIMCFLAG:', '+ECPI:', '+EAIC:', '+EIND:'];

export interface MediatekDriverOptions {
  /** opens the AT channel (the device path; called again after a modem reset) */
  open: () => Promise<AtChannel>;
  mode?: MediatekMode;
  /** APN of the IMS PDN (default "ims") */
  apn?: string;
  /** the modem carries RTP (COMMANDS.md "Media": recorded only) */
  modemRtp?: boolean;
  media?: MediaCapabilities;
  logger?: Logger;
  /** for +EAPNACT and +EPDN "ifst", which wait for the network (default 30000 ms) */
  pdnTimeoutMs?: number;
  /** pause before reopening the device after it closed (default 1000 ms) */
  reopenDelayMs?: number;
  dialTimeoutMs?: number;
}

export interface MediatekDriverEvents extends ModemDriverEvents {
  /** modem-ims mode: +CIREGU */
  'ims-registration': (r: ImsRegistration) => void;
  /** modem-ims mode: a call changed state (copies) */
  call: (c: ModemCall) => void;
}

interface Pdn {
  aid: number;
  info: PdnInfo;
}


/** The IMS stack was reset under a running task; the task stops there. */
class ResetError extends ModemDriverError {}

export class MediatekDriver extends EventEmitter implements ModemDriver {
  readonly name = 'mediatek';
  readonly capabilities: ModemCapabilities;
  readonly media: MediaCapabilities;
  readonly mode: MediatekMode;
  readonly #media = new RecordedMedia(() => this.media.telephoneEventRates.length > 0);
  readonly #options: MediatekDriverOptions;
  readonly #log: Logger;
  readonly #apn: string;
  readonly #calls: ModemImsCalls;
  /** imsd mode: the serving cell for P-Access-Network-Info */
  readonly #cell: ServingCell;
  #channel: AtChannel | undefined;
  #ready: Promise<void> | undefined;
  #readyResolve: (() => void) | undefined;
  #closed = false;
  #generation = 0;
  #pdn: Pdn | undefined;
  #activation: Promise<PdnInfo> | undefined;
  readonly #bearers = new Map<number, BearerInfo>();
  /** "+CGEV: ME PDN ACT" lines seen while +EAPNACT runs (they come as URCs) */
  #pdnActs: number[] | undefined;
  #registration: ImsRegistration | undefined;
  #imsEnabled: boolean | undefined;
  #work: Promise<void> = Promise.resolve();
  #reopenTimer: NodeJS.Timeout | undefined;

  constructor(options: MediatekDriverOptions) {
    super();
    this.#options = options;
    this.mode = options.mode ?? 'imsd';
    this.#apn = options.apn ?? 'ims';
    if (!/^[A-Za-z0-9.-]{1,100}$/.test(this.#apn)) throw new ModemDriverError('configure', `APN "${this.#apn}" has characters an APN cannot have`);
    this.#log = (options.logger ?? silentLogger).child('mediatek');
    this.capabilities = { modemRtp: options.modemRtp ?? false, bearerEvents: true };
    this.media = structuredClone(options.media ?? DEFAULT_MEDIA);
    this.#calls = new ModemImsCalls(() => this.#need('call'), (c) => this.emit('call', c), this.#log.child('calls'), options.dialTimeoutMs);
    this.#cell = new ServingCell(
      async (c) => expectOk(c, await this.#command(c)),
      async (c, why) => {
        const r = await this.#command(c);
        if (r.final.kind === 'ok') return r.lines;
        this.#log.warning('start-up command refused; going on without it', { command: c, result: describeFinal(r.final), consequence: why });
        return undefined;
      },
      this.#log,
    );
    this.#newReady();
  }

  override on<E extends keyof MediatekDriverEvents>(event: E, listener: MediatekDriverEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof MediatekDriverEvents>(event: E, listener: MediatekDriverEvents[E]): this {
    return super.off(event, listener);
  }

  /** Opens the device and sets the modem up; rejects when the first opening fails. */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** every media request, in order (the modem's RTP hand-over is not public: COMMANDS.md "Media") */
  get mediaLog(): readonly MediaRecord[] {
    return this.#media.log;
  }

  get pdn(): PdnInfo | undefined {
    return this.#pdn ? copyPdn(this.#pdn.info) : undefined;
  }

  get bearers(): BearerInfo[] {
    return [...this.#bearers.values()].map((b) => structuredClone(b));
  }

  /** modem-ims mode: the last +CIREGU (undefined before the first) */
  get imsRegistration(): ImsRegistration | undefined {
    return this.#registration ? { ...this.#registration } : undefined;
  }

  /** the last +EIMS/+EIMCFLAG state of the modem's own IMS stack */
  get modemImsEnabled(): boolean | undefined {
    return this.#imsEnabled;
  }

  get calls(): ModemCall[] {
    return this.#calls.list();
  }

  // ---- ModemDriver: the IMS PDN ----

  async activateImsPdn(): Promise<PdnInfo> {
    this.#check('activateImsPdn');
    await this.#ready;
    if (this.#pdn) return copyPdn(this.#pdn.info);
    this.#activation ??= this.#serial(() => this.#activate())
      .catch((e: Error) => {
        throw e instanceof ModemDriverError ? e : new ModemDriverError('activateImsPdn', e.message);
      })
      .finally(() => (this.#activation = undefined));
    return this.#activation;
  }

  async deactivateImsPdn(): Promise<void> {
    this.#check('deactivateImsPdn');
    if (!this.#pdn) return;
    await this.#serial(async () => {
      const pdn = this.#pdn;
      if (!pdn) return;
      // COMMANDS.md: AT+EAPNACT=0,<aid> → +CGEV: ME PDN DEACT <aid>
      const r = await this.#command(`AT+EAPNACT=0,${pdn.aid}`, this.#pdnTimeout());
      if (r.final.kind !== 'ok') this.#log.warning('the modem refused to deactivate the IMS PDN; forgetting it anyway', { result: describeFinal(r.final) });
      this.#pdnDown('deactivated');
    });
  }

  // ---- ModemDriver: media (recorded; COMMANDS.md "Media") ----

  async startMedia(session: MediaSession): Promise<void> {
    this.#check('startMedia');
    this.#media.start(session);
  }

  async updateMedia(session: MediaSession): Promise<void> {
    this.#check('updateMedia');
    this.#media.update(session);
  }

  async stopMedia(callId: string): Promise<void> {
    this.#media.stop(callId);
  }

  async sendTones(callId: string, tones: string): Promise<void> {
    this.#check('sendTones');
    this.#media.tones(callId, tones);
  }

  // ---- IMS switches ----

  /** AT+CAVIMS (27.007): tell the modem whether voice over IMS is available now (imsd registered) */
  async setImsVoiceAvailable(available: boolean): Promise<void> {
    await this.#expectOk('setImsVoiceAvailable', `AT+CAVIMS=${available ? 1 : 0}`);
  }

  /** AT+EIMS: the modem's own IMS stack on or off */
  async setModemIms(enabled: boolean): Promise<void> {
    await this.#expectOk('setModemIms', `AT+EIMS=${enabled ? 1 : 0}`);
  }

  /** AT+EIMSVOLTE: VoLTE in the modem's own IMS stack on or off */
  async setModemVolte(enabled: boolean): Promise<void> {
    await this.#expectOk('setModemVolte', `AT+EIMSVOLTE=${enabled ? 1 : 0}`);
  }

  // ---- modem-ims mode: calls ----

  dial(number: string): Promise<ModemCall> {
    this.#check('dial');
    return this.#calls.dial(number);
  }

  approveIncoming(callId: number, accept = true): Promise<void> {
    this.#check('approveIncoming');
    return this.#calls.approve(callId, accept);
  }

  answer(): Promise<void> {
    this.#check('answer');
    return this.#calls.answer();
  }

  hangup(callId: number): Promise<void> {
    this.#check('hangup');
    return this.#calls.hangup(callId);
  }

  hangupAll(): Promise<void> {
    this.#check('hangupAll');
    return this.#calls.hangupAll();
  }

  /** AT+CHLD=1 (release active, accept the other) or AT+CHLD=2 (hold active, accept the other / swap), 27.007 7.13 */
  chld(n: 1 | 2): Promise<void> {
    this.#check('chld');
    return this.#calls.chld(n);
  }

  /** modem-ims mode: DTMF on the active call (AT+VTS, one command per digit) */
  sendModemTones(tones: string): Promise<void> {
    this.#check('sendModemTones');
    return this.#calls.sendTones(tones);
  }

  /** AT+CIMI (27.007 5.6): the IMSI of the SIM in the modem */
  async readImsi(): Promise<string> {
    this.#check('readImsi');
    await this.#ready;
    const lines = await this.#expectOk('readImsi', 'AT+CIMI');
    // TS 23.003 2.2: at most 15 digits; some modems prefix the line with "+CIMI: "
    const imsi = lines.map((l) => l.replace(/^\+CIMI:\s*/i, '').replace(/^"|"$/g, '').trim()).find((l) => /^[0-9]{6,15}$/.test(l));
    if (!imsi) throw new ModemDriverError('readImsi', 'AT+CIMI gave no IMSI');
    return imsi;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reopenTimer);
    this.#generation++;
    this.#calls.reset('driver closed');
    this.#pdn = undefined;
    this.#bearers.clear();
    const ch = this.#channel;
    this.#channel = undefined;
    if (ch) await ch.close();
    this.removeAllListeners();
  }

  // ---- the channel ----

  #check(op: string): void {
    if (this.#closed) throw new ModemDriverError(op, 'driver is closed');
  }

  #need(op: string): AtChannel {
    if (!this.#channel) throw new ModemDriverError(op, 'no AT channel to the modem (it is being reopened)');
    return this.#channel;
  }

  #newReady(): void {
    this.#ready = new Promise<void>((resolve) => (this.#readyResolve = resolve));
  }

  #pdnTimeout(): number {
    return this.#options.pdnTimeoutMs ?? 30000;
  }

  async #connect(): Promise<void> {
    const channel = await this.#options.open();
    if (this.#closed) {
      await channel.close();
      return;
    }
    this.#channel = channel;
    channel.on('urc', (line) => this.#onUrc(line));
    channel.on('closed', (reason) => this.#onClosed(channel, reason));
    try {
      await this.#init();
    } catch (e) {
      // a modem that does not take start-up is closed again: the next attempt opens it anew
      if (this.#channel === channel) this.#channel = undefined;
      await channel.close();
      throw e;
    }
    this.#readyResolve?.();
  }

  /** COMMANDS.md "Start-up": the same after every (re)opening or modem restart */
  async #init(): Promise<void> {
    const gen = this.#generation;
    await this.#expectOk('start', 'AT+CMEE=1');
    await this.#expectOk('start', 'AT+CGEREP=1,0');
    const optional = ['AT+EIMSPDN="onoff",1'];
    if (this.mode === 'imsd') optional.push('AT+EIMS=0');
    else optional.push('AT+CIREG=2', 'AT+ECPI=4294967295', 'AT+EAIC=2', 'AT+EIMSVOLTE=1', 'AT+EIMS=1');
    for (const c of optional) {
      const r = await this.#command(c);
      if (gen !== this.#generation) return;
      if (r.final.kind !== 'ok') this.#log.warning('start-up command refused; going on without it', { command: c, result: describeFinal(r.final) });
    }
    // imsd sends the SIP: the serving cell for its P-Access-Network-Info (27.007 10.1.22 +CEREG=2, 7.3 +COPS=3,2)
    if (this.mode === 'imsd') {
      await this.#cell.enable();
      if (gen !== this.#generation) return;
    }
    this.#log.info('MediaTek modem ready', { mode: this.mode });
  }

  #onClosed(channel: AtChannel, reason: string): void {
    if (this.#closed || channel !== this.#channel) return;
    this.#channel = undefined;
    this.#log.warning('AT channel to the modem closed: treating it as a modem reset', { reason });
    this.#reset(`the AT channel closed (${reason})`);
    this.#scheduleReopen();
  }

  /** reopen after a pause that doubles on each failure, up to 30 s (a modem takes seconds to boot) */
  #scheduleReopen(attempt = 0): void {
    if (this.#closed) return;
    const base = this.#options.reopenDelayMs ?? 1000;
    this.#reopenTimer = setTimeout(() => {
      this.#connect().catch((e: Error) => {
        this.#log.warning('reopening the modem failed; trying again', { reason: e.message, attempt: attempt + 1 });
        this.#scheduleReopen(attempt + 1);
      });
    }, Math.min(base * 2 ** attempt, Math.max(base, 30000)));
  }

  /** Forget every PDN, bearer and call; `modem-reset` (no pdn-down: ModemDriverEvents). */
  #reset(reason: string): void {
    this.#generation++;
    this.#newReady();
    this.#pdn = undefined;
    this.#bearers.clear();
    this.#media.clear();
    this.#registration = undefined;
    this.#calls.reset(reason);
    this.#work = Promise.resolve();
    this.emit('modem-reset');
  }

  async #command(command: string, timeoutMs?: number): Promise<AtResponse> {
    const gen = this.#generation;
    const r = await this.#need(command).command(command, timeoutMs !== undefined ? { timeoutMs } : undefined);
    if (gen !== this.#generation) throw new ResetError(command, 'the modem was reset meanwhile');
    return r;
  }

  /** #command for the queries in queries.ts (PDN work uses the longer timeout) */
  readonly #run: Run = (command, long) => this.#command(command, long ? this.#pdnTimeout() : undefined);

  async #expectOk(op: string, command: string, timeoutMs?: number): Promise<string[]> {
    const r = await this.#command(command, timeoutMs);
    if (r.final.kind !== 'ok') throw new ModemDriverError(op, `${command}: ${describeFinal(r.final)}`);
    return r.lines;
  }

  /** one task at a time (URC handling and PDN work share the modem's state) */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#work.then(task);
    this.#work = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // ---- the IMS PDN (COMMANDS.md "IMS PDN") ----

  async #activate(): Promise<PdnInfo> {
    if (this.#pdn) return copyPdn(this.#pdn.info);
    const acts: number[] = [];
    this.#pdnActs = acts;
    let r: AtResponse;
    try {
      r = await this.#command(`AT+EAPNACT=1,"${this.#apn}","ims"`, this.#pdnTimeout());
    } finally {
      this.#pdnActs = undefined;
    }
    for (const l of r.lines) this.#takePdnAct(l, acts);
    if (r.final.kind === 'error') throw new ModemDriverError('activateImsPdn', 'the modem does not accept AT+EAPNACT (ERROR): a firmware without MediaTek\'s PDN commands is served by Modem=at');
    if (r.final.kind !== 'ok') throw new ModemDriverError('activateImsPdn', `AT+EAPNACT: ${describeFinal(r.final)}`);
    const aid = acts[0];
    if (aid === undefined) throw new ModemDriverError('activateImsPdn', 'AT+EAPNACT ended OK without "+CGEV: ME PDN ACT <aid>"');
    try {
      const gen = this.#generation;
      const info = await bindPdn(this.#run, aid, 20, undefined, this.#log);
      if (this.mode === 'imsd') {
        const ani = await this.#cell.query();
        // a channel that closed under the query fails it like a refusal: the reset must still win
        if (gen !== this.#generation) throw new ResetError('activateImsPdn', 'the modem was reset meanwhile');
        if (ani !== undefined) info.accessNetworkInfo = ani;
      }
      this.#pdn = { aid, info };
      this.#log.info('IMS PDN up', { aid, interface: info.interface, addresses: info.addresses.join(','), pcscf: info.pcscf.join(',') });
      this.emit('pdn-up', copyPdn(info));
      return copyPdn(info);
    } catch (e) {
      if (!(e instanceof ResetError)) {
        await this.#command(`AT+EAPNACT=0,${aid}`, this.#pdnTimeout()).catch((x: Error) => this.#log.warning('releasing the half-made IMS PDN failed', { aid, reason: x.message }));
      }
      throw e;
    }
  }

  #takePdnAct(line: string, into: number[]): boolean {
    try {
      const e = parseCgev(line);
      if (e.kind === 'pdn-act' && e.by === 'ME') {
        into.push(e.cid);
        return true;
      }
    } catch {
      // a +CGEV line that does not parse: not an activation (#handle logs it when it is a URC)
    }
    return false;
  }

  #pdnDown(reason: string): void {
    if (!this.#pdn) return;
    for (const id of [...this.#bearers.keys()]) {
      this.#bearers.delete(id);
      this.emit('bearer-down', id);
    }
    this.#pdn = undefined;
    this.#log.info('IMS PDN down', { reason });
    this.emit('pdn-down', reason);
  }

  async #refresh(aid: number): Promise<void> {
    const pdn = this.#pdn;
    if (!pdn || pdn.aid !== aid) return;
    const info = await bindPdn(this.#run, aid, 4, pdn.info, this.#log);
    if (this.#pdn !== pdn) return;
    // +EPDN and +CGCONTRDP do not name the cell: it changes with +CEREG only
    if (pdn.info.accessNetworkInfo !== undefined) info.accessNetworkInfo = pdn.info.accessNetworkInfo;
    if (JSON.stringify(info) === JSON.stringify(pdn.info)) return;
    pdn.info = info;
    this.emit('pdn-changed', copyPdn(info));
  }

  // ---- URCs ----

  #onUrc(line: string): void {
    // taken at once: +EAPNACT is still running and resolves right after this line
    if (this.#pdnActs && this.#takePdnAct(line, this.#pdnActs)) return;
    if (this.#calls.onUrc(line)) return;
    const gen = this.#generation;
    void this.#serial(async () => {
      if (gen !== this.#generation) return;
      await this.#handle(line);
    }).catch((e: Error) => {
      if (e instanceof ResetError) return;
      this.#log.warning('handling a URC failed', { line, reason: e.message });
    });
  }

  async #handle(line: string): Promise<void> {
    try {
      if (/^\+CGEV:/i.test(line)) return await this.#cgev(line);
      if (/^\+EPDN:/i.test(line)) return await this.#epdn(line);
      if (/^\+EIMSPDN:/i.test(line)) return await this.#eimspdn(line);
      if (/^\+CEREG:/i.test(line)) return await this.#cereg(line);
      if (/^\+CIREGU:/i.test(line)) return this.#ciregu(line);
      if (/^\+EIND:\s*128\b/i.test(line)) return this.#modemReady();
      const sw = parseImsSwitch(line);
      if (sw) {
        if (sw.phase === 'done') this.#imsEnabled = sw.enabled;
        this.#log.info(`modem IMS ${sw.enabled ? 'enabling' : 'disabling'} ${sw.phase === 'done' ? 'done' : 'started'}`);
        return;
      }
      this.#log.debug('URC not used by the MediaTek driver', { line });
    } catch (e) {
      if (e instanceof MediatekParseError || e instanceof AtParseError) {
        this.#log.warning('URC not understood, ignored', { line, reason: e.message });
        return;
      }
      throw e;
    }
  }

  async #cgev(line: string): Promise<void> {
    const pdn = this.#pdn;
    const react = parseNwReact(line);
    if (react) {
      if (pdn && react.aid === pdn.aid) this.#pdnDown('the network reactivated the PDN context');
      return;
    }
    const e = parseCgev(line);
    switch (e.kind) {
      case 'pdn-deact':
        if (pdn && e.cid === pdn.aid) this.#pdnDown(e.by === 'NW' ? 'the network deactivated the IMS PDN' : 'the modem deactivated the IMS PDN');
        return;
      case 'detach':
        this.#pdnDown(`${e.by === 'NW' ? 'network' : 'modem'} detach`);
        return;
      case 'bearer-act':
        if (!pdn || e.pcid !== pdn.aid) return;
        {
          const b = await queryBearer(this.#run, e.cid, this.#log);
          if (this.#pdn !== pdn) return;
          this.#bearers.set(b.id, b);
          this.emit('bearer-up', structuredClone(b));
        }
        return;
      case 'bearer-deact':
        if (this.#bearers.delete(e.cid)) this.emit('bearer-down', e.cid);
        return;
      case 'modify':
        if (this.#bearers.has(e.cid)) {
          const b = await queryBearer(this.#run, e.cid, this.#log);
          if (!this.#bearers.has(e.cid)) return;
          this.#bearers.set(b.id, b);
          this.emit('bearer-modified', structuredClone(b));
        } else if (pdn && e.cid === pdn.aid) {
          await this.#refresh(pdn.aid);
        }
        return;
      default:
        this.#log.debug('+CGEV not about the IMS PDN', { line });
    }
  }

  async #epdn(line: string): Promise<void> {
    const e = parseEpdn(line);
    const pdn = this.#pdn;
    if (e.kind !== 'dcchg' || !pdn || e.aid !== pdn.aid) return;
    if (e.event === DC_EVENT.IP_NORMAL_CHANGE || e.event === DC_EVENT.HANDOVER_NORMAL_CHANGE) {
      await this.#refresh(pdn.aid);
    } else if (e.event === DC_EVENT.NO_RA) {
      // no IPv6 router advertisement: the IPv6 address is not usable
      const v4 = pdn.info.addresses.filter((a) => !a.includes(':'));
      if (v4.length === pdn.info.addresses.length) return;
      if (v4.length === 0) return this.#pdnDown('no IPv6 router advertisement on an IPv6-only PDN');
      pdn.info = { ...pdn.info, addresses: v4 };
      this.emit('pdn-changed', copyPdn(pdn.info));
    }
  }

  /** 27.007 10.1.22 URC, imsd mode: a new serving LTE cell while the PDN is up is a new P-Access-Network-Info (pdn-changed) */
  async #cereg(line: string): Promise<void> {
    const pdn = this.#pdn;
    if (this.mode !== 'imsd') {
      this.#log.debug('URC not used by the MediaTek driver', { line });
      return;
    }
    if (!pdn) {
      this.#cell.noteUrc(line);
      return;
    }
    const value = await this.#cell.onUrc(line, pdn.info.accessNetworkInfo);
    if (value === undefined || this.#pdn !== pdn || value === pdn.info.accessNetworkInfo) return;
    pdn.info = { ...pdn.info, accessNetworkInfo: value };
    this.emit('pdn-changed', copyPdn(pdn.info));
  }

  /** COMMANDS.md "+EIMSPDN": set up or release the PDN the modem asks for, then confirm */
  async #eimspdn(line: string): Promise<void> {
    const e = parseEimspdn(line);
    if (e.kind === 'init') {
      this.#log.info('the modem\'s IMS data framework started');
      return;
    }
    let err = 0;
    if (e.activate) {
      try {
        await this.#activate();
      } catch (x) {
        if (x instanceof ResetError) throw x;
        this.#log.warning('the IMS PDN the modem asked for could not be set up', { reason: (x as Error).message });
        err = 1;
      }
    } else if (this.#pdn) {
      const r = await this.#command(`AT+EAPNACT=0,${this.#pdn.aid}`, this.#pdnTimeout());
      if (r.final.kind !== 'ok') this.#log.warning('the modem refused to deactivate the IMS PDN', { result: describeFinal(r.final) });
      this.#pdnDown('the modem released the IMS PDN');
    }
    const c = await this.#command(`AT+EIMSPDN="confirm",${e.aid},${err}`);
    if (c.final.kind !== 'ok') this.#log.warning('+EIMSPDN confirm refused', { result: describeFinal(c.final) });
  }

  #ciregu(line: string): void {
    const r = parseCiregu(line);
    this.#registration = r;
    this.emit('ims-registration', { ...r });
  }

  /**
   * +EIND: 128, the modem is ready after a (re)start: its URC settings are gone, so start-up runs
   * again; with a PDN, a call or a registration known, that state is dropped (`modem-reset`).
   */
  async #modemReady(): Promise<void> {
    const hadState = this.#pdn !== undefined || this.#calls.list().length > 0 || this.#registration !== undefined;
    if (hadState) {
      this.#log.warning('the modem restarted (+EIND: 128): all state dropped');
      this.#reset('the modem restarted (+EIND: 128)');
    } else {
      this.#log.info('the modem (re)started (+EIND: 128): setting it up again');
      this.#generation++;
      this.#newReady();
    }
    const gen = this.#generation;
    // outside the queue of the task that saw the URC, which a reset has just replaced
    setImmediate(() => {
      this.#init()
        .then(() => {
          if (gen === this.#generation) this.#readyResolve?.();
        })
        .catch((e: Error) => this.#log.warning('setting the modem up after its restart failed', { reason: e.message }));
    });
  }
}
