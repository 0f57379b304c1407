// A ModemDriver for desktops and the lab: the "IMS PDN" is a configured interface with its
// address(es) and P-CSCF list. Tests script it: PDN loss, a new address, bearer events, resets.
import { EventEmitter } from 'node:events';
import type { BearerInfo, MediaCapabilities, MediaSession, ModemCapabilities, ModemDriver, ModemDriverEvents, PdnInfo } from '../driver.js';
import { copyPdn, ModemDriverError } from '../driver.js';
import { RtpSession, type RtpSessionOptions, type RtpStats } from '../rtp/session.js';

export interface SimulatedDriverOptions {
  interface: string;
  addresses: string[];
  pcscf: string[];
  mtu?: number;
  accessNetworkInfo?: string;
  capabilities?: Partial<ModemCapabilities>;
  media?: MediaCapabilities;
  /** run each call's RTP on the AP (G.711 tone, RFC 4733 DTMF: modem-drivers/rtp/); default: record only */
  rtp?: boolean | RtpSessionOptions;
}

/** IR.92 3.2: AMR-WB and AMR, each bandwidth-efficient and octet-aligned; telephone-event at 16 and 8 kHz */
export const DEFAULT_MEDIA: MediaCapabilities = {
  codecs: [
    { name: 'AMR-WB', clockRate: 16000 },
    { name: 'AMR-WB', clockRate: 16000, octetAlign: true },
    { name: 'AMR', clockRate: 8000 },
    { name: 'AMR', clockRate: 8000, octetAlign: true },
  ],
  telephoneEventRates: [16000, 8000],
  ptime: 20,
  maxptime: 240,
};

/**
 * What the AP's own RTP (modem-drivers/rtp/) can encode: G.711 (RFC 3551) and telephone-event at
 * its 8 kHz clock. Not IR.92's set: AMR-WB/AMR are not encoded on the AP yet.
 */
export const AP_RTP_MEDIA: MediaCapabilities = {
  codecs: [
    { name: 'PCMU', clockRate: 8000 },
    { name: 'PCMA', clockRate: 8000 },
  ],
  telephoneEventRates: [8000],
  ptime: 20,
  maxptime: 240,
};

/** What the simulated media side was asked to do, in order (tests read it). */
export type MediaRecord =
  | { op: 'start' | 'update'; session: MediaSession }
  | { op: 'stop'; callId: string }
  | { op: 'tones'; callId: string; tones: string };


export class SimulatedDriver extends EventEmitter implements ModemDriver {
  readonly name = 'simulated';
  readonly capabilities: ModemCapabilities;
  #config: PdnInfo;
  #up = false;
  #closed = false;
  readonly #bearers = new Map<number, BearerInfo>();
  readonly media: MediaCapabilities;
  /** every media request, in order */
  readonly mediaLog: MediaRecord[] = [];
  readonly #media = new Map<string, MediaSession>();
  readonly #rtpOptions: RtpSessionOptions | undefined;
  readonly #rtp = new Map<string, RtpSession>();

  constructor(options: SimulatedDriverOptions) {
    super();
    this.#rtpOptions = options.rtp === true ? {} : options.rtp || undefined;
    if (options.addresses.length === 0) throw new ModemDriverError('configure', 'the simulated PDN needs at least one address');
    this.capabilities = { modemRtp: false, bearerEvents: true, ...options.capabilities };
    // with the AP's RTP and no media given, declare what it can send rather than IR.92's set
    this.media = structuredClone(options.media ?? (this.#rtpOptions ? AP_RTP_MEDIA : DEFAULT_MEDIA));
    this.#config = {
      interface: options.interface,
      addresses: [...options.addresses],
      pcscf: [...options.pcscf],
      mtu: options.mtu ?? 1500,
      ...(options.accessNetworkInfo !== undefined ? { accessNetworkInfo: options.accessNetworkInfo } : {}),
    };
  }

  override on<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this {
    return super.off(event, listener);
  }

  get pdn(): PdnInfo | undefined {
    return this.#up ? copyPdn(this.#config) : undefined;
  }

  get bearers(): BearerInfo[] {
    return [...this.#bearers.values()];
  }

  #check(op: string): void {
    if (this.#closed) throw new ModemDriverError(op, 'driver is closed');
  }

  async activateImsPdn(): Promise<PdnInfo> {
    this.#check('activateImsPdn');
    if (!this.#up) {
      this.#up = true;
      this.emit('pdn-up', copyPdn(this.#config));
    }
    return copyPdn(this.#config);
  }

  async deactivateImsPdn(): Promise<void> {
    this.#check('deactivateImsPdn');
    this.losePdn('deactivated');
  }

  /** the media sessions running now, by call id */
  get mediaSessions(): ReadonlyMap<string, MediaSession> {
    return this.#media;
  }

  async startMedia(session: MediaSession): Promise<void> {
    this.#check('startMedia');
    if (this.#rtpOptions && !this.#rtp.has(session.callId)) this.#rtp.set(session.callId, await RtpSession.open(session, this.#rtpOptions));
    this.#media.set(session.callId, structuredClone(session));
    this.mediaLog.push({ op: 'start', session: structuredClone(session) });
  }

  async updateMedia(session: MediaSession): Promise<void> {
    this.#check('updateMedia');
    if (!this.#media.has(session.callId)) throw new ModemDriverError('updateMedia', `no media for call ${session.callId}`);
    this.#media.set(session.callId, structuredClone(session));
    this.#rtp.get(session.callId)?.update(session);
    this.mediaLog.push({ op: 'update', session: structuredClone(session) });
  }

  async stopMedia(callId: string): Promise<void> {
    if (!this.#media.delete(callId)) return;
    const rtp = this.#rtp.get(callId);
    this.#rtp.delete(callId);
    await rtp?.close();
    this.mediaLog.push({ op: 'stop', callId });
  }

  /** the AP RTP stream's counters of a call (with the `rtp` option) */
  rtpStats(callId: string): RtpStats | undefined {
    const s = this.#rtp.get(callId)?.stats;
    return s ? structuredClone(s) : undefined;
  }

  async sendTones(callId: string, tones: string): Promise<void> {
    this.#check('sendTones');
    if (this.media.telephoneEventRates.length === 0) throw new ModemDriverError('sendTones', 'this media side has no telephone-event');
    if (!this.#media.has(callId)) throw new ModemDriverError('sendTones', `no media for call ${callId}`);
    this.mediaLog.push({ op: 'tones', callId, tones });
    await this.#rtp.get(callId)?.sendTones(tones);
  }

  // ---- scripting (tests, lab) ----

  /** The network drops the PDN (bearers go with it). */
  losePdn(reason = 'lost'): void {
    if (!this.#up) return;
    this.#up = false;
    for (const id of [...this.#bearers.keys()]) this.dropBearer(id);
    this.emit('pdn-down', reason);
  }

  /** New addresses, P-CSCF list, MTU or access network info; emits pdn-changed while up. */
  changePdn(change: Partial<Omit<PdnInfo, 'interface'>>): void {
    this.#config = { ...this.#config, ...change };
    if (this.#up) this.emit('pdn-changed', copyPdn(this.#config));
  }

  addBearer(bearer: BearerInfo): void {
    this.#check('addBearer');
    if (!this.#up) throw new ModemDriverError('addBearer', 'no IMS PDN');
    const existed = this.#bearers.has(bearer.id);
    this.#bearers.set(bearer.id, bearer);
    this.emit(existed ? 'bearer-modified' : 'bearer-up', bearer);
  }

  dropBearer(id: number): void {
    if (this.#bearers.delete(id)) this.emit('bearer-down', id);
  }

  /** The modem restarted: the PDN and every bearer are gone without pdn-down. */
  reset(): void {
    this.#up = false;
    this.#bearers.clear();
    this.#media.clear();
    void this.#closeRtp();
    this.emit('modem-reset');
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    this.#bearers.clear();
    await this.#closeRtp();
    this.removeAllListeners();
  }

  #closeRtp(): Promise<void> {
    const all = [...this.#rtp.values()];
    this.#rtp.clear();
    return Promise.all(all.map((s) => s.close())).then(() => undefined);
  }
}
