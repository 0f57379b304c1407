// The ModemDriver interface: what imsd needs from a modem (or from a desktop/lab stand-in) to run
// IMS: the IMS PDN (interface, addresses, MTU, P-CSCF list; TS 24.229 9.2.1 P-CSCF discovery via
// PCO), the dedicated bearers the network sets up (QCI 1 voice, QCI 5 signalling, TS 23.203 6.1.7),
// modem resets, and capabilities. ims/ depends on this file only, never on a concrete driver.

/** The IMS PDN connection as the modem reports it. */
export interface PdnInfo {
  /** network interface carrying the PDN (e.g. rmnet_data1, wwan0, or a veth in the lab) */
  interface: string;
  /** local IPv4 and/or IPv6 addresses on that interface */
  addresses: string[];
  mtu: number;
  /** P-CSCF addresses from PCO/DHCP/configuration, in preference order (IP addresses) */
  pcscf: string[];
  /** P-Access-Network-Info value when the modem knows the cell (TS 24.229 7.2A.4), e.g. `3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=…` */
  accessNetworkInfo?: string;
}

/** a copy a listener may keep or change */
export function copyPdn(p: PdnInfo): PdnInfo {
  return { ...p, addresses: [...p.addresses], pcscf: [...p.pcscf] };
}

/** same PdnInfo (order matters: the P-CSCF list is a preference order) */
export function samePdn(a: PdnInfo, b: PdnInfo): boolean {
  return (
    a.interface === b.interface &&
    a.mtu === b.mtu &&
    a.addresses.join() === b.addresses.join() &&
    a.pcscf.join() === b.pcscf.join() &&
    a.accessNetworkInfo === b.accessNetworkInfo
  );
}

/** A packet filter of a dedicated bearer's TFT (TS 24.008 10.5.6.12). */
export interface PacketFilter {
  direction: 'uplink' | 'downlink' | 'bidirectional';
  remoteAddress?: string;
  protocol?: number;
  localPorts?: [number, number];
  remotePorts?: [number, number];
}

export interface BearerInfo {
  /** EPS bearer identity */
  id: number;
  /** TS 23.203 6.1.7.2: 1 conversational voice, 5 IMS signalling */
  qci: number;
  /** guaranteed and maximum bit rates in kbit/s (GBR bearers only) */
  gbrUplink?: number;
  gbrDownlink?: number;
  mbrUplink?: number;
  mbrDownlink?: number;
  filters: PacketFilter[];
}

export interface ModemCapabilities {
  /** the modem carries the RTP media itself (the AP only sees signalling) */
  modemRtp: boolean;
  /** the modem reports dedicated bearers */
  bearerEvents: boolean;
}

/** A speech codec the media side can run (RFC 4867 for AMR/AMR-WB). */
export interface MediaCodec {
  /** SDP encoding name: 'AMR-WB', 'AMR', 'PCMU', ... */
  name: string;
  clockRate: number;
  channels?: number;
  /** RFC 4867 8.1: octet-align=1 (false/absent: bandwidth-efficient) */
  octetAlign?: boolean;
  /** AMR mode-set restriction, e.g. [0, 1, 2] (absent: all modes) */
  modeSet?: number[];
}

/** What the media side (the modem, or the AP's RTP stack) declares; the SDP offer is built from it. */
export interface MediaCapabilities {
  /** in preference order; an AMR/AMR-WB codec is offered once per octet-align setting the side supports */
  codecs: MediaCodec[];
  /** RFC 4733 telephone-event clock rates it can send (e.g. [16000, 8000]); empty: DTMF via SIP INFO */
  telephoneEventRates: number[];
  /** packetization time in ms (default 20) and the maximum (default 240), RFC 4867 8.1 / IR.92 3.2.1 */
  ptime?: number;
  maxptime?: number;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The negotiated media of one call, handed to the media side (startMedia/updateMedia). */
export interface MediaSession {
  /** imsd's call id (stable for the life of the call) */
  callId: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** the codec both sides agreed on, with its RTP payload type */
  codec: MediaCodec & { payloadType: number };
  telephoneEvent?: { payloadType: number; clockRate: number };
  ptime: number;
  direction: MediaDirection;
}

export interface ModemDriverEvents {
  'pdn-up': (pdn: PdnInfo) => void;
  /** an address, MTU or P-CSCF list changed while the PDN stays up */
  'pdn-changed': (pdn: PdnInfo) => void;
  'pdn-down': (reason: string) => void;
  'bearer-up': (bearer: BearerInfo) => void;
  'bearer-modified': (bearer: BearerInfo) => void;
  'bearer-down': (bearerId: number) => void;
  /** the modem restarted: every PDN and bearer is gone */
  'modem-reset': () => void;
}

export class ModemDriverError extends Error {
  constructor(
    readonly operation: string,
    message: string,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'ModemDriverError';
  }
}

export interface ModemDriver {
  readonly name: string;
  readonly capabilities: ModemCapabilities;
  /** the IMS PDN if it is up now */
  readonly pdn: PdnInfo | undefined;
  /** bring the IMS PDN up (APN "ims"); resolves once `pdn-up` has been emitted */
  activateImsPdn(): Promise<PdnInfo>;
  /** the codecs and DTMF the media side offers (modem RTP, or the AP's stack) */
  readonly media: MediaCapabilities;
  /** start the media of a call once an answer is known (early media included); rejects with ModemDriverError */
  startMedia(session: MediaSession): Promise<void>;
  /** new remote address/port, codec or direction (hold, resume, re-negotiation) */
  updateMedia(session: MediaSession): Promise<void>;
  /** stop the media of a call (no-op when none) */
  stopMedia(callId: string): Promise<void>;
  /** RFC 4733 telephone-events on the call's media (only when telephoneEventRates is not empty); resolves once sent */
  sendTones(callId: string, tones: string): Promise<void>;
  /** tear the IMS PDN down; resolves once `pdn-down` has been emitted (no-op when down) */
  deactivateImsPdn(): Promise<void>;
  on<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this;
  off<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this;
  close(): Promise<void>;
}
