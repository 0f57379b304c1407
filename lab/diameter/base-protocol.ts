// Sans-I/O Diameter base protocol for one peer connection (RFC 6733 5.3 capabilities exchange,
// 5.5 watchdog, 5.4 disconnect). Inputs: decoded requests. Outputs: answers and a close flag.
import { addressAvp, findAllAvps, findAvp, groupedAvp, optionalUtf8, readGrouped, readUnsigned32, unsigned32Avp, utf8Avp } from './avp.js';
import { BaseAvp, Command, ResultCode, baseKey } from './dictionary.js';
import type { Avp, DiameterMessage } from './message.js';

export interface LocalPeerIdentity {
  originHost: string;
  originRealm: string;
  hostIpAddresses: string[];
  vendorId: number;
  productName: string;
  /** Applications offered as Vendor-Specific-Application-Id { Vendor-Id, Auth-Application-Id }. */
  authApplications: { vendorId: number; applicationId: number }[];
  supportedVendorIds: number[];
}

/** Builds the answer skeleton for a request (RFC 6733 6.2: same ids, R cleared, P copied). */
export function answerTo(request: DiameterMessage, avps: Avp[], error = false): DiameterMessage {
  return {
    commandCode: request.commandCode,
    applicationId: request.applicationId,
    request: false,
    proxiable: request.proxiable,
    error,
    hopByHop: request.hopByHop,
    endToEnd: request.endToEnd,
    avps,
  };
}

export function originAvps(local: LocalPeerIdentity): Avp[] {
  return [utf8Avp(baseKey(BaseAvp.OriginHost), local.originHost), utf8Avp(baseKey(BaseAvp.OriginRealm), local.originRealm)];
}

/**
 * An error answer: Session-Id (if any), Origin-Host/Realm, Result-Code, Error-Message.
 * RFC 6733 7.1.3: only protocol errors (3xxx) carry the E bit (7.2 answer format).
 */
export function errorAnswer(request: DiameterMessage, local: LocalPeerIdentity, resultCode: number, message?: string): DiameterMessage {
  const avps: Avp[] = [];
  const session = findAvp(request.avps, baseKey(BaseAvp.SessionId));
  if (session) avps.push(session);
  avps.push(...originAvps(local), unsigned32Avp(baseKey(BaseAvp.ResultCode), resultCode));
  if (message !== undefined) avps.push(utf8Avp(baseKey(BaseAvp.ErrorMessage), message, false));
  return answerTo(request, avps, resultCode >= 3000 && resultCode < 4000);
}

export type BaseInput = { kind: 'base'; answer: DiameterMessage; close: boolean; peerHost?: string }
  | { kind: 'application'; request: DiameterMessage };

export class BasePeerState {
  /** Origin-Host of the remote peer once it sent its CER. */
  peerHost: string | undefined;

  constructor(private readonly local: LocalPeerIdentity) {}

  /** Classifies a request: base requests are answered here, others go to the application. */
  onRequest(request: DiameterMessage): BaseInput {
    switch (request.commandCode) {
      case Command.CapabilitiesExchange:
        return { kind: 'base', answer: this.onCer(request), close: false, peerHost: this.peerHost };
      case Command.DeviceWatchdog:
        return { kind: 'base', answer: this.simpleAnswer(request), close: false };
      case Command.DisconnectPeer:
        // RFC 6733 5.4.2: answer the DPR, then the sender of the DPR closes; we close too.
        return { kind: 'base', answer: this.simpleAnswer(request), close: true };
      default:
        return { kind: 'application', request };
    }
  }

  private simpleAnswer(request: DiameterMessage): DiameterMessage {
    return answerTo(request, [unsigned32Avp(baseKey(BaseAvp.ResultCode), ResultCode.Success), ...originAvps(this.local)]);
  }

  private onCer(request: DiameterMessage): DiameterMessage {
    this.peerHost = optionalUtf8(request.avps, baseKey(BaseAvp.OriginHost));
    const offered = new Set<number>();
    for (const a of findAllAvps(request.avps, baseKey(BaseAvp.AuthApplicationId))) offered.add(readUnsigned32(a));
    for (const vsai of findAllAvps(request.avps, baseKey(BaseAvp.VendorSpecificApplicationId))) {
      for (const a of findAllAvps(readGrouped(vsai), baseKey(BaseAvp.AuthApplicationId))) offered.add(readUnsigned32(a));
    }
    const common = this.local.authApplications.filter((a) => offered.has(a.applicationId));
    // RFC 6733 5.3.2: no common application -> DIAMETER_NO_COMMON_APPLICATION (5010)
    const resultCode = common.length > 0 ? ResultCode.Success : 5010;
    const avps: Avp[] = [
      unsigned32Avp(baseKey(BaseAvp.ResultCode), resultCode),
      ...originAvps(this.local),
      ...this.local.hostIpAddresses.map((ip) => addressAvp(baseKey(BaseAvp.HostIpAddress), ip)),
      unsigned32Avp(baseKey(BaseAvp.VendorId), this.local.vendorId),
      utf8Avp(baseKey(BaseAvp.ProductName), this.local.productName, false),
      ...this.local.supportedVendorIds.map((v) => unsigned32Avp(baseKey(BaseAvp.SupportedVendorId), v)),
      ...this.local.authApplications.map((a) =>
        groupedAvp(baseKey(BaseAvp.VendorSpecificApplicationId), [
          unsigned32Avp(baseKey(BaseAvp.VendorId), a.vendorId),
          unsigned32Avp(baseKey(BaseAvp.AuthApplicationId), a.applicationId),
        ])),
    ];
    return answerTo(request, avps); // 5xxx is a permanent failure, not a protocol error: no E bit
  }
}
