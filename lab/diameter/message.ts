// The Diameter message model (RFC 6733 3 and 4.1). Values stay raw bytes; avp.ts types them.

export interface Avp {
  code: number;
  /** Set when the V bit is set (RFC 6733 4.1). */
  vendorId?: number;
  /** M bit. */
  mandatory: boolean;
  /** P bit (deprecated by RFC 6733 but still carried). */
  protected?: boolean;
  /** The value without padding. */
  data: Buffer;
}

export interface DiameterMessage {
  commandCode: number;
  applicationId: number;
  /** R bit. */
  request: boolean;
  /** P bit. */
  proxiable: boolean;
  /** E bit. */
  error: boolean;
  /** T bit. */
  retransmitted?: boolean;
  hopByHop: number;
  endToEnd: number;
  avps: Avp[];
}

export const HEADER_LENGTH = 20;
export const DIAMETER_VERSION = 1;

// RFC 6733 3: command flags
export const FLAG_REQUEST = 0x80;
export const FLAG_PROXIABLE = 0x40;
export const FLAG_ERROR = 0x20;
export const FLAG_RETRANSMITTED = 0x10;

// RFC 6733 4.1: AVP flags
export const AVP_FLAG_VENDOR = 0x80;
export const AVP_FLAG_MANDATORY = 0x40;
export const AVP_FLAG_PROTECTED = 0x20;
