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
  /** tear the IMS PDN down; resolves once `pdn-down` has been emitted (no-op when down) */
  deactivateImsPdn(): Promise<void>;
  on<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this;
  off<E extends keyof ModemDriverEvents>(event: E, listener: ModemDriverEvents[E]): this;
  close(): Promise<void>;
}
