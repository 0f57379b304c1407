// The generic 3GPP TS 27.007 AT modem driver: the IMS PDN through +CGDCONT (APN "ims", IM CN
// signalling flag, P-CSCF discovery and IPv4 MTU through NAS/PCO; 27.007 10.1.1), +CGACT and
// +CGCONTRDP; packet-domain events through +CGEREP=2,1 / +CGEV (dedicated bearers read with
// +CGSCONTRDP, +CGEQOSRDP and +CGTFTRDP); the voice domain preference (+CEVDP), the MT's own IMS
// registration (+CIREG) and IMS voice availability (+CAVIMS); the serving LTE cell for the
// P-Access-Network-Info value (TS 24.229 7.2A.4) through +CEREG=2 (URCs and read form, 10.1.22)
// and +COPS=3,2 / +COPS? (numeric operator, 7.3), in serving-cell.ts. A modem that stops answering, resets
// or whose device goes away is detected; the state is rebuilt when the PDN is asked for again.
// A generic AT modem carries no RTP: the AP's media is used (modemRtp false).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { BearerInfo, MediaCapabilities, MediaSession, ModemCapabilities, ModemDriver, ModemDriverEvents, PdnInfo } from '../driver.js';
import { copyPdn, ModemDriverError, samePdn } from '../driver.js';
import { DEFAULT_MEDIA, type MediaRecord } from '../simulated/simulated-driver.js';
import { silentLogger, type Logger } from '../../daemon/log/logger.js';
import { expectOk } from './channel.js';
import { describeFinal } from './result-codes.js';
import {
  AtParseError, parseActiveContexts, parseCgev, parseCiregRegistered, parseContextDynamic,
  parseQosDynamic, parseSecondaryDynamic, parseTftDynamic, type CgevEvent,
} from './responses.js';
import { ServingCell } from './serving-cell.js';
import { AtTimeoutError, type AtChannel, type AtCommandOptions } from './types.js';

export type PdpType = 'IP' | 'IPV6' | 'IPV4V6';

export interface AtDriverOptions {
  /** the channel, or a function that opens it (then a vanished device is opened again) */
  channel: AtChannel | (() => Promise<AtChannel>);
  /** the network interface of the PDN: a name, or a pattern where %d stands for the context id (wwan%d) */
  interface: string;
  /** default "ims" */
  apn?: string;
  /** the PDP context id the driver defines (default 1) */
  cid?: number;
  /** default IPV4V6 */
  pdpType?: PdpType;
  /** 27.007 +CEVDP <setting>, voice domain preference for E-UTRAN (default 3: IMS PS voice preferred, CS voice as secondary) */
  voiceDomainPreference?: 1 | 2 | 3 | 4;
  /** how long +CGACT may take (default 30 s; the network may be slow to answer) */
  activateTimeoutMs?: number;
  /** send "AT" this often to notice a modem that stopped answering (default 30 s; 0 = never) */
  keepaliveMs?: number;
  /** keepalive failures in a row after which the modem counts as gone (default 2) */
  keepaliveFailures?: number;
  /** how often to try opening a vanished device again (default 2 s) */
  reopenMs?: number;
  /** URCs that mean the modem restarted (default RDY, ^SYSSTART) */
  resetUrcs?: string[];
  /** where MTUs are read when +CGCONTRDP has none (default /sys/class/net) */
  sysClassNet?: string;
  media?: MediaCapabilities;
  logger?: Logger;
}

const DEFAULT_RESET_URCS = ['RDY', '^SYSSTART'];

interface Dedicated {
  cid: number;
  bearer: BearerInfo;
}

export class AtDriver extends EventEmitter implements ModemDriver {
  readonly name = 'at';
  readonly capabilities: ModemCapabilities = { modemRtp: false, bearerEvents: true };
  readonly media: MediaCapabilities;
  /** every media request, in order (the AP's media stack takes them over in a later change) */
  readonly mediaLog: MediaRecord[] = [];
  readonly #mediaSessions = new Map<string, MediaSession>();
  readonly #o: Required<Omit<AtDriverOptions, 'channel' | 'media' | 'logger'>>;
  readonly #open: (() => Promise<AtChannel>) | undefined;
  readonly #log: Logger;
  #channel: AtChannel | undefined;
  #pdn: PdnInfo | undefined;
  readonly #bearers = new Map<number, Dedicated>();
  #initialised = false;
  #closed = false;
  #activating: Promise<PdnInfo> | undefined;
  /** imsd itself is taking the PDN down: the MT's "+CGEV: ME PDN DEACT" is its echo */
  #deactivating = false;
  /** URC reactions run one after the other, in arrival order */
  #urcChain: Promise<void> = Promise.resolve();
  #keepalive: NodeJS.Timeout | undefined;
  #keepaliveMisses = 0;
  #unresponsive = false;
  #reopenTimer: NodeJS.Timeout | undefined;
  #modemImsRegistered: boolean | undefined;
  /** the serving cell for P-Access-Network-Info (+CEREG=2, +COPS=3,2) */
  readonly #cell: ServingCell;
  readonly #onUrc = (line: string): void => {
    this.#urcChain = this.#urcChain.then(() => this.#handleUrc(line)).catch((e: unknown) => {
      this.#log.warning('URC handling failed', { line, error: (e as Error).message });
    });
  };
  readonly #onClosed = (reason: string): void => this.#channelLost(reason);

  private constructor(options: AtDriverOptions) {
    super();
    this.#o = {
      interface: options.interface,
      apn: options.apn ?? 'ims',
      cid: options.cid ?? 1,
      pdpType: options.pdpType ?? 'IPV4V6',
      voiceDomainPreference: options.voiceDomainPreference ?? 3,
      activateTimeoutMs: options.activateTimeoutMs ?? 30000,
      keepaliveMs: options.keepaliveMs ?? 30000,
      keepaliveFailures: options.keepaliveFailures ?? 2,
      reopenMs: options.reopenMs ?? 2000,
      resetUrcs: options.resetUrcs ?? DEFAULT_RESET_URCS,
      sysClassNet: options.sysClassNet ?? '/sys/class/net',
    };
    this.#open = typeof options.channel === 'function' ? options.channel : undefined;
    this.#log = (options.logger ?? silentLogger).child('modem/at');
    this.media = structuredClone(options.media ?? DEFAULT_MEDIA);
    this.#cell = new ServingCell((c) => this.#cmd(c), (c, why) => this.#try(c, why), this.#log);
  }

  /** Opens the channel (when given a function) and sets the modem up for IMS (URCs, voice domain). */
  static async open(options: AtDriverOptions): Promise<AtDriver> {
    const d = new AtDriver(options);
    try {
      d.#attach(typeof options.channel === 'function' ? await options.channel() : options.channel);
      await d.#initialise();
    } catch (e) {
      await d.close();
      throw e instanceof ModemDriverError ? e : new ModemDriverError('open', (e as Error).message);
    }
    d.#startKeepalive();
    return d;
  }

  override on<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this {
    return super.off(event, listener);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** the channel now in use (the SIM over AT shares it) */
  get channel(): AtChannel {
    if (this.#channel === undefined) throw new ModemDriverError('channel', 'the modem device is not open');
    return this.#channel;
  }

  get pdn(): PdnInfo | undefined {
    return this.#pdn ? copyPdn(this.#pdn) : undefined;
  }

  get bearers(): BearerInfo[] {
    return [...this.#bearers.values()].map((d) => structuredClone(d.bearer));
  }

  /** the MT's own IMS registration as +CIREGU last said (undefined: never said) */
  get modemImsRegistered(): boolean | undefined {
    return this.#modemImsRegistered;
  }

  /** the PDN's interface name for this driver's context */
  get interfaceName(): string {
    return this.#o.interface.replace('%d', String(this.#o.cid));
  }

  #attach(ch: AtChannel): void {
    this.#channel = ch;
    ch.on('urc', this.#onUrc);
    ch.on('closed', this.#onClosed);
  }

  #detach(): void {
    this.#channel?.off('urc', this.#onUrc);
    this.#channel?.off('closed', this.#onClosed);
  }

  async #cmd(command: string, options?: AtCommandOptions): Promise<string[]> {
    return expectOk(command, await this.channel.command(command, options));
  }

  /** a command whose failure is logged and tolerated (optional features) */
  async #try(command: string, why: string): Promise<string[] | undefined> {
    const r = await this.channel.command(command);
    if (r.final.kind === 'ok') return r.lines;
    this.#log.notice(`modem refused ${command}: ${why}`, { result: describeFinal(r.final) });
    return undefined;
  }

  async #initialise(): Promise<void> {
    // V.250 6.2.4 echo off; 27.007 9.1 numeric +CME ERRORs
    await this.#cmd('ATE0');
    await this.#try('AT+CMEE=1', 'errors will be plain ERROR');
    // 27.007 10.1.19: forward +CGEV URCs now (mode 2), flush the buffered ones (bfr 1); without
    // them the driver learns of no bearer and no PDN loss until it asks
    if (!(await this.#try('AT+CGEREP=2,1', 'no packet domain events: bearers and PDN loss go unreported'))) this.capabilities.bearerEvents = false;
    await this.#try(`AT+CEVDP=${this.#o.voiceDomainPreference}`, 'voice domain preference unchanged');
    // 27.007 8.71: report the MT's own IMS registration; an MT that registers by itself competes with imsd
    if (await this.#try('AT+CIREG=2', 'no IMS registration reports')) {
      const r = await this.channel.command('AT+CIREG?');
      for (const l of r.lines) this.#noteCireg(l);
    }
    // 27.007 8.68 +CAVIMS: not available for IMS voice until imsd has registered
    await this.#try('AT+CAVIMS=0', 'IMS voice availability not reported to the modem');
    // 27.007 10.1.22 +CEREG=2 and 7.3 +COPS=3,2 (serving-cell.ts)
    await this.#cell.enable();
    this.#initialised = true;
  }

  /** 27.007 8.68 +CAVIMS: tell the MT whether voice calls with IMS are available (after registration). */
  async setImsVoiceAvailable(available: boolean): Promise<void> {
    this.#check('setImsVoiceAvailable');
    await this.#try(`AT+CAVIMS=${available ? 1 : 0}`, 'IMS voice availability not reported to the modem');
  }

  #check(op: string): void {
    if (this.#closed) throw new ModemDriverError(op, 'driver is closed');
  }

  activateImsPdn(): Promise<PdnInfo> {
    if (this.#closed) return Promise.reject(new ModemDriverError('activateImsPdn', 'driver is closed'));
    if (this.#pdn) return Promise.resolve(copyPdn(this.#pdn));
    this.#activating ??= this.#activate().finally(() => (this.#activating = undefined));
    return this.#activating;
  }

  async #activate(): Promise<PdnInfo> {
    const cid = this.#o.cid;
    try {
      if (!this.#initialised) await this.#initialise();
      const active = parseActiveContexts(await this.#cmd('AT+CGACT?'));
      if (!active.includes(cid)) {
        await this.#define();
        await this.#cmd(`AT+CGACT=1,${cid}`, { timeoutMs: this.#o.activateTimeoutMs });
      }
      const pdn = await this.#readPdn();
      if (this.#pdn) return copyPdn(this.#pdn); // a +CGEV URC reported it meanwhile
      this.#pdn = pdn;
      this.#log.info('IMS PDN up', { interface: pdn.interface, addresses: pdn.addresses.join(' '), pcscf: pdn.pcscf.join(' '), mtu: pdn.mtu });
      this.emit('pdn-up', copyPdn(pdn));
      return copyPdn(pdn);
    } catch (e) {
      if (e instanceof ModemDriverError) throw e;
      throw new ModemDriverError('activateImsPdn', (e as Error).message);
    }
  }

  /** 27.007 10.1.1: the IMS context with IM CN signalling flag, P-CSCF discovery and IPv4 MTU discovery through NAS */
  async #define(): Promise<void> {
    const { cid, pdpType, apn } = this.#o;
    // <cid>,<PDP_type>,<APN>,<PDP_addr>,<d_comp>,<h_comp>,<IPv4AddrAlloc>,<request_type>,
    // <P-CSCF_discovery>=1 (NAS signalling, PCO),<IM_CN_Signalling_Flag_Ind>=1,<NSLPI>,<securePCO>,<IPv4_MTU_discovery>=1
    const full = `AT+CGDCONT=${cid},"${pdpType}","${apn}","",0,0,0,0,1,1,0,0,1`;
    const r = await this.channel.command(full);
    if (r.final.kind === 'ok') return;
    // older MTs know only the first parameters: the network then decides on P-CSCF and flag by APN
    this.#log.warning('modem refused the full IMS context definition; defining it without IMS flags', { result: describeFinal(r.final) });
    await this.#cmd(`AT+CGDCONT=${cid},"${pdpType}","${apn}"`);
  }

  async #readPdn(): Promise<PdnInfo> {
    const cid = this.#o.cid;
    const lines = await this.#cmd(`AT+CGCONTRDP=${cid}`);
    const d = parseContextDynamic(lines, cid);
    if (!d) throw new ModemDriverError('activateImsPdn', `+CGCONTRDP gave no parameters for context ${cid}`);
    if (d.addresses.length === 0) throw new ModemDriverError('activateImsPdn', `the modem reports no address for context ${cid}`);
    if (d.pcscf.length === 0) this.#log.warning('the network gave no P-CSCF address in PCO (configure Pcscf in [Ims])', { cid });
    const iface = this.interfaceName;
    const pdn: PdnInfo = { interface: iface, addresses: d.addresses, pcscf: d.pcscf, mtu: d.mtu ?? this.#interfaceMtu(iface) };
    const ani = await this.#cell.query();
    if (ani !== undefined) pdn.accessNetworkInfo = ani;
    return pdn;
  }

  #interfaceMtu(iface: string): number {
    try {
      const n = Number(readFileSync(`${this.#o.sysClassNet}/${iface}/mtu`, 'utf8').trim());
      if (n > 0) return n;
    } catch {
      // the interface may not exist in this namespace (or yet)
    }
    return 1500;
  }

  async deactivateImsPdn(): Promise<void> {
    this.#check('deactivateImsPdn');
    if (this.#activating) await this.#activating.catch(() => undefined);
    if (!this.#pdn) return;
    this.#deactivating = true;
    try {
      await this.#cmd(`AT+CGACT=0,${this.#o.cid}`, { timeoutMs: this.#o.activateTimeoutMs });
      this.#pdnDown('deactivated');
    } catch (e) {
      throw new ModemDriverError('deactivateImsPdn', (e as Error).message);
    } finally {
      this.#deactivating = false;
    }
  }

  #pdnDown(reason: string): void {
    if (!this.#pdn) return;
    this.#pdn = undefined;
    for (const id of [...this.#bearers.keys()]) this.#bearerDown(id);
    this.#log.notice('IMS PDN down', { reason });
    this.emit('pdn-down', reason);
  }

  #bearerDown(cid: number): void {
    const d = this.#bearers.get(cid);
    if (!d) return;
    this.#bearers.delete(cid);
    this.#log.info('dedicated bearer down', { bearer: d.bearer.id, cid });
    this.emit('bearer-down', d.bearer.id);
  }

  // ---- URCs ----

  async #handleUrc(line: string): Promise<void> {
    if (this.#closed) return;
    if (this.#o.resetUrcs.some((u) => line === u || line.startsWith(`${u}:`) || line.startsWith(`${u} `))) {
      this.#reset(`modem said ${line}`);
      return;
    }
    const ims = parseCiregRegistered(line);
    if (ims !== undefined) {
      this.#noteCireg(line);
      return;
    }
    if (/^\+CEREG:/i.test(line)) {
      await this.#onCereg(line);
      return;
    }
    if (!/^\+CGEV:/i.test(line)) return;
    let ev: CgevEvent;
    try {
      ev = parseCgev(line);
    } catch (e) {
      if (e instanceof AtParseError) {
        this.#log.warning('malformed +CGEV ignored', { line, error: e.message });
        return;
      }
      throw e;
    }
    await this.#onCgev(ev, line);
  }

  #noteCireg(line: string): void {
    const registered = parseCiregRegistered(line);
    if (registered === undefined) return;
    if (registered && this.#modemImsRegistered !== true) {
      this.#log.warning('the modem registered to IMS by itself; imsd\'s registration competes with it (disable the modem\'s IMS client)', { line });
    }
    this.#modemImsRegistered = registered;
  }

  /**
   * 27.007 10.1.22 URC: the EPS registration or the serving cell changed. A new LTE cell while the
   * PDN is up is a new P-Access-Network-Info value (pdn-changed); anything else leaves the PDN alone
   * (its loss comes as +CGEV).
   */
  async #onCereg(line: string): Promise<void> {
    if (!this.#pdn) {
      this.#cell.noteUrc(line);
      return;
    }
    const value = await this.#cell.onUrc(line, this.#pdn.accessNetworkInfo);
    // the PDN may have gone or changed while +COPS? ran
    const cur = this.#pdn;
    if (value === undefined || !cur || value === cur.accessNetworkInfo) return;
    this.#pdn = { ...cur, accessNetworkInfo: value };
    this.emit('pdn-changed', copyPdn(this.#pdn));
  }

  async #onCgev(ev: CgevEvent, line: string): Promise<void> {
    const cid = this.#o.cid;
    switch (ev.kind) {
      case 'pdn-act':
        if (ev.cid === cid && !this.#pdn && !this.#activating) {
          // the MT (re)activated our context by itself: report it
          const pdn = await this.#readPdn();
          if (this.#pdn) return;
          this.#pdn = pdn;
          this.emit('pdn-up', copyPdn(pdn));
        }
        return;
      case 'pdn-deact':
        if (ev.cid === cid && !(this.#deactivating && ev.by === 'ME')) this.#pdnDown(`${ev.by === 'NW' ? 'network' : 'modem'} deactivated the IMS PDN`);
        return;
      case 'context-deact':
        if (ev.cid === undefined || ev.cid === cid) this.#pdnDown(`${ev.by === 'NW' ? 'network' : 'modem'} deactivated the IMS context`);
        return;
      case 'detach':
        this.#pdnDown(`${ev.by === 'NW' ? 'network' : 'modem'} detached from the packet domain`);
        return;
      case 'bearer-act':
        if (ev.pcid !== cid) return;
        if (ev.ackRequired) await this.#acknowledge(line);
        await this.#readBearer(ev.cid, 'bearer-up');
        return;
      case 'bearer-deact':
        if (ev.pcid === cid) this.#bearerDown(ev.cid);
        return;
      case 'modify':
        if (ev.ackRequired) await this.#acknowledge(line);
        if (this.#bearers.has(ev.cid)) await this.#readBearer(ev.cid, 'bearer-modified');
        else if (ev.cid === cid && this.#pdn) await this.#rereadPdn();
        return;
      case 'other':
        this.#log.debug('packet domain event', { event: ev.text });
        return;
    }
  }

  /** 27.007 10.1.19 <event_type> 1: the MT waits for the TE to accept (27.007 10.1.17 +CGANS) */
  async #acknowledge(line: string): Promise<void> {
    const r = await this.channel.command('AT+CGANS=1');
    if (r.final.kind !== 'ok') this.#log.warning('modem refused +CGANS=1', { event: line, result: describeFinal(r.final) });
  }

  async #readBearer(bcid: number, event: 'bearer-up' | 'bearer-modified'): Promise<void> {
    if (!this.#pdn) {
      this.#log.warning('dedicated bearer event without the IMS PDN; ignored', { cid: bcid });
      return;
    }
    // 27.007 10.1.24: the EPS bearer identity; an MT without +CGSCONTRDP: the cid stands for it
    const sec = await this.channel.command(`AT+CGSCONTRDP=${bcid}`);
    const bearerId = (sec.final.kind === 'ok' ? parseSecondaryDynamic(sec.lines, bcid)?.bearerId : undefined) ?? bcid;
    const qos = parseQosDynamic(await this.#cmd(`AT+CGEQOSRDP=${bcid}`), bcid);
    if (!qos) throw new ModemDriverError('bearer', `+CGEQOSRDP gave no QoS for context ${bcid}`);
    const tft = await this.channel.command(`AT+CGTFTRDP=${bcid}`);
    const filters = tft.final.kind === 'ok' ? parseTftDynamic(tft.lines, bcid) : [];
    const bearer: BearerInfo = { id: bearerId, ...qos, filters };
    const known = this.#bearers.has(bcid);
    this.#bearers.set(bcid, { cid: bcid, bearer });
    const kind = known ? 'bearer-modified' : event === 'bearer-modified' ? 'bearer-up' : event;
    this.#log.info(kind === 'bearer-up' ? 'dedicated bearer up' : 'dedicated bearer modified', { bearer: bearerId, cid: bcid, qci: qos.qci, filters: filters.length });
    this.emit(kind, structuredClone(bearer));
  }

  async #rereadPdn(): Promise<void> {
    const next = await this.#readPdn();
    const cur = this.#pdn;
    if (!cur) return;
    if (samePdn(cur, next)) return;
    this.#pdn = next;
    this.emit('pdn-changed', copyPdn(next));
  }

  // ---- a modem that resets, stops answering or goes away ----

  /** everything the modem knew is gone: report it once, set up again on the next activation */
  #reset(reason: string): void {
    this.#log.warning('modem reset', { reason });
    this.#pdn = undefined;
    this.#bearers.clear();
    this.#initialised = false;
    this.emit('modem-reset');
  }

  #startKeepalive(): void {
    if (this.#o.keepaliveMs <= 0 || this.#closed) return;
    this.#keepalive = setInterval(() => void this.#probe(), this.#o.keepaliveMs);
    this.#keepalive.unref();
  }

  async #probe(): Promise<void> {
    if (this.#closed || this.#channel === undefined) return;
    try {
      const r = await this.#channel.command('AT', { timeoutMs: Math.min(3000, this.#o.keepaliveMs) });
      if (r.final.kind !== 'ok') return;
      this.#keepaliveMisses = 0;
      if (this.#unresponsive) {
        this.#unresponsive = false;
        this.#reset('the modem answers again after being silent');
      }
    } catch (e) {
      if (!(e instanceof AtTimeoutError)) return;
      this.#keepaliveMisses += 1;
      if (this.#keepaliveMisses >= this.#o.keepaliveFailures && !this.#unresponsive) {
        this.#unresponsive = true;
        this.#log.error('the modem stopped answering', { misses: this.#keepaliveMisses });
        this.#pdnDown('the modem stopped answering');
        this.#initialised = false;
      }
    }
  }

  #channelLost(reason: string): void {
    if (this.#closed) return;
    this.#detach();
    this.#channel = undefined;
    this.#initialised = false;
    this.#log.error('modem device lost', { reason });
    this.#pdnDown(`modem device lost: ${reason}`);
    if (this.#open) this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (this.#closed || this.#reopenTimer) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      void this.#reopen();
    }, this.#o.reopenMs);
  }

  async #reopen(): Promise<void> {
    let ch: AtChannel;
    try {
      ch = await this.#open!();
    } catch (e) {
      this.#log.debug('modem device not back yet', { error: (e as Error).message });
      this.#scheduleReopen();
      return;
    }
    if (this.#closed) {
      await ch.close();
      return;
    }
    this.#attach(ch);
    this.#log.notice('modem device open again');
    this.#reset('the modem device came back');
  }

  // ---- media: the AP's (a generic AT modem carries no RTP); recorded until AP RTP lands ----

  async startMedia(session: MediaSession): Promise<void> {
    this.#check('startMedia');
    this.#mediaSessions.set(session.callId, structuredClone(session));
    this.mediaLog.push({ op: 'start', session: structuredClone(session) });
    this.#log.debug('startMedia', mediaFields(session));
  }

  async updateMedia(session: MediaSession): Promise<void> {
    this.#check('updateMedia');
    if (!this.#mediaSessions.has(session.callId)) throw new ModemDriverError('updateMedia', `no media for call ${session.callId}`);
    this.#mediaSessions.set(session.callId, structuredClone(session));
    this.mediaLog.push({ op: 'update', session: structuredClone(session) });
    this.#log.debug('updateMedia', mediaFields(session));
  }

  async stopMedia(callId: string): Promise<void> {
    if (!this.#mediaSessions.delete(callId)) return;
    this.mediaLog.push({ op: 'stop', callId });
    this.#log.debug('stopMedia', { callId });
  }

  async sendTones(callId: string, tones: string): Promise<void> {
    this.#check('sendTones');
    if (this.media.telephoneEventRates.length === 0) throw new ModemDriverError('sendTones', 'this media side has no telephone-event');
    if (!this.#mediaSessions.has(callId)) throw new ModemDriverError('sendTones', `no media for call ${callId}`);
    this.mediaLog.push({ op: 'tones', callId, tones });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    clearTimeout(this.#reopenTimer);
    this.#pdn = undefined;
    this.#bearers.clear();
    this.#detach();
    const ch = this.#channel;
    this.#channel = undefined;
    // closing the channel rejects a command a URC reaction may be waiting for
    await ch?.close().catch(() => undefined);
    await this.#urcChain.catch(() => undefined);
    this.removeAllListeners();
  }
}



/** what a media request says, for the debug log (the AP's RTP end, the peer's, the codec) */
function mediaFields(s: MediaSession): { callId: string; local: string; remote: string; codec: string; direction: string } {
  return { callId: s.callId, local: `${s.localAddress}:${s.localPort}`, remote: `${s.remoteAddress}:${s.remotePort}`, codec: `${s.codec.name}/${s.codec.clockRate} pt ${s.codec.payloadType}`, direction: s.direction };
}
