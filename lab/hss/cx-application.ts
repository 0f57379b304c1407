// The Cx application of the lab HSS (TS 29.228 6.1, TS 29.229 6.1): MAR/MAA and SAR/SAA.
// Sans-I/O: a decoded request in, an answer out; randomness and SQN policy are injected.
import {
  findAllAvps, findAvp, groupedAvp, octetAvp, optionalUnsigned32, optionalUtf8, readGrouped,
  readUnsigned32, readUtf8, requireAvp, unsigned32Avp, utf8Avp,
} from '../diameter/avp.js';
import { answerTo, originAvps, type LocalPeerIdentity } from '../diameter/base-protocol.js';
import {
  APP_CX, BaseAvp, Command, CxAvp, ExperimentalResultCode, NO_STATE_MAINTAINED, ResultCode,
  ServerAssignmentType, VENDOR_3GPP, baseKey, cx,
} from '../diameter/dictionary.js';
import type { Avp, DiameterMessage } from '../diameter/message.js';
import type { ApplicationAnswer } from '../diameter/server.js';
import { authVector, verifyAuts, type AuthVector } from './aka-vectors.js';
import type { Subscriber } from './subscriber.js';
import { imsSubscriptionXml } from './user-data.js';

export interface SubscriberDirectory {
  byImpi(impi: string): Subscriber | undefined;
  byImpu(impu: string): Subscriber | undefined;
  /** Records the last SQN issued to a subscriber (the store persists it). */
  setSqn(imsi: string, sqn: bigint): void;
}

export interface CxOptions {
  local: LocalPeerIdentity;
  directory: SubscriberDirectory;
  randomBytes: (length: number) => Buffer;
  /** SQN of the next vector given the last one issued (TS 33.102 C.3.2 by default). */
  nextSqn: (last: bigint) => bigint;
  /** Cap on SIP-Number-Auth-Items honoured per MAR. */
  maxVectorsPerMar?: number;
}

/** TS 33.203 6.1 / TS 29.229 6.3.9: the scheme name of IMS AKA in Cx. */
export const SCHEME_AKAV1_MD5 = 'Digest-AKAv1-MD5';
// 'Unknown' (TS 29.229 6.3.9): the S-CSCF leaves the choice to the HSS, which only does AKAv1.
const ACCEPTED_SCHEMES = new Set([SCHEME_AKAV1_MD5, 'Unknown']);

interface Registration {
  serverName: string | undefined;
  registered: boolean;
}

const assignmentTypeNames: Record<number, string> = Object.fromEntries(
  Object.entries(ServerAssignmentType).map(([name, value]) => [value, name]),
);

export class CxApplication {
  /** Per IMPI: the S-CSCF assigned and whether the user is registered (TS 29.228 6.1.2). */
  private readonly registrations = new Map<string, Registration>();

  constructor(private readonly opts: CxOptions) {}

  registrationOf(impi: string): Readonly<Registration> | undefined {
    return this.registrations.get(impi);
  }

  handle(request: DiameterMessage): ApplicationAnswer {
    if (request.applicationId !== APP_CX) {
      return { answer: this.protocolError(request, ResultCode.ApplicationUnsupported), detail: `application ${request.applicationId}` };
    }
    switch (request.commandCode) {
      case Command.MultimediaAuth:
        return this.onMar(request);
      case Command.ServerAssignment:
        return this.onSar(request);
      default:
        // UAR/LIR need an I-CSCF, which the lab does not run (RFC 6733 7.1.3: 3001)
        return { answer: this.protocolError(request, ResultCode.CommandUnsupported) };
    }
  }

  private protocolError(request: DiameterMessage, resultCode: number): DiameterMessage {
    return answerTo(request, [...this.head(request), unsigned32Avp(baseKey(BaseAvp.ResultCode), resultCode)], true);
  }

  /** Session-Id first (RFC 6733 8.8), then Vendor-Specific-Application-Id, Auth-Session-State, origin. */
  private head(request: DiameterMessage): Avp[] {
    const avps: Avp[] = [];
    const session = findAvp(request.avps, baseKey(BaseAvp.SessionId));
    if (session) avps.push(session);
    avps.push(
      groupedAvp(baseKey(BaseAvp.VendorSpecificApplicationId), [
        unsigned32Avp(baseKey(BaseAvp.VendorId), VENDOR_3GPP),
        unsigned32Avp(baseKey(BaseAvp.AuthApplicationId), APP_CX),
      ]),
      unsigned32Avp(baseKey(BaseAvp.AuthSessionState), NO_STATE_MAINTAINED),
      ...originAvps(this.opts.local),
    );
    return avps;
  }

  private result(resultCode: number): Avp {
    return unsigned32Avp(baseKey(BaseAvp.ResultCode), resultCode);
  }

  /** RFC 6733 7.6 Experimental-Result { Vendor-Id 10415, Experimental-Result-Code (TS 29.229 6.2) }. */
  private experimental(code: number): Avp {
    return groupedAvp(baseKey(BaseAvp.ExperimentalResult), [
      unsigned32Avp(baseKey(BaseAvp.VendorId), VENDOR_3GPP),
      unsigned32Avp(baseKey(BaseAvp.ExperimentalResultCode), code),
    ]);
  }

  // TS 29.228 6.3 (authentication procedures), TS 29.229 6.1.7: Multimedia-Auth-Request
  private onMar(request: DiameterMessage): ApplicationAnswer {
    const impi = readUtf8(requireAvp(request.avps, baseKey(BaseAvp.UserName), 'User-Name'));
    const impu = readUtf8(requireAvp(request.avps, cx(CxAvp.PublicIdentity), 'Public-Identity'));
    const item = readGrouped(requireAvp(request.avps, cx(CxAvp.SipAuthDataItem), 'SIP-Auth-Data-Item'));
    const scheme = optionalUtf8(item, cx(CxAvp.SipAuthenticationScheme)) ?? 'Unknown';
    const requested = optionalUnsigned32(request.avps, cx(CxAvp.SipNumberAuthItems)) ?? 1;
    const detail = `user=${impi} impu=${impu} scheme=${scheme}`;
    const fail = (code: number, why: string): ApplicationAnswer => ({
      answer: answerTo(request, [...this.head(request), this.experimental(code), utf8Avp(baseKey(BaseAvp.UserName), impi)]),
      detail: `${detail} ${why}`,
    });

    const sub = this.opts.directory.byImpi(impi);
    if (!sub) return fail(ExperimentalResultCode.ErrorUserUnknown, 'unknown user');
    if (!sub.impus.includes(impu)) return fail(ExperimentalResultCode.ErrorIdentitiesDontMatch, 'IMPU not of this IMPI');
    if (!ACCEPTED_SCHEMES.has(scheme)) return fail(ExperimentalResultCode.ErrorAuthSchemeNotSupported, 'scheme not supported');

    let last = sub.sqn;
    let resync = '';
    const authorization = findAvp(item, cx(CxAvp.SipAuthorization));
    if (authorization) {
      // TS 29.228 6.3 (synchronisation failure): SIP-Authorization carries RAND || AUTS
      const checked = verifyAuts(sub, authorization.data);
      if (!checked.ok) {
        // TS 33.102 6.3.5: a MAC-S that does not verify means the resync is rejected
        return {
          answer: answerTo(request, [...this.head(request), this.result(ResultCode.AuthorizationRejected), utf8Avp(baseKey(BaseAvp.UserName), impi)]),
          detail: `${detail} resync rejected (${checked.reason})`,
        };
      }
      // TS 33.102 6.3.5: the HE resets SQN_HE to SQN_MS and sends fresh vectors after it
      last = checked.sqnMs;
      resync = ` resync sqn_ms=${last.toString(16).padStart(12, '0')}`;
    }

    const count = Math.max(1, Math.min(requested, this.opts.maxVectorsPerMar ?? 5));
    const vectors: AuthVector[] = [];
    for (let i = 0; i < count; i++) {
      last = this.opts.nextSqn(last);
      vectors.push(authVector(sub, this.opts.randomBytes(16), last));
    }
    this.opts.directory.setSqn(sub.imsi, last);

    const items = vectors.map((v, i) =>
      groupedAvp(cx(CxAvp.SipAuthDataItem), [
        unsigned32Avp(cx(CxAvp.SipItemNumber), i + 1),
        utf8Avp(cx(CxAvp.SipAuthenticationScheme), SCHEME_AKAV1_MD5),
        octetAvp(cx(CxAvp.SipAuthenticate), Buffer.concat([v.rand, v.autn])),
        octetAvp(cx(CxAvp.SipAuthorization), v.xres),
        octetAvp(cx(CxAvp.ConfidentialityKey), v.ck),
        octetAvp(cx(CxAvp.IntegrityKey), v.ik),
      ]));
    const answer = answerTo(request, [
      ...this.head(request),
      this.result(ResultCode.Success),
      utf8Avp(baseKey(BaseAvp.UserName), impi),
      utf8Avp(cx(CxAvp.PublicIdentity), impu),
      unsigned32Avp(cx(CxAvp.SipNumberAuthItems), vectors.length),
      ...items,
    ]);
    return { answer, detail: `${detail} vectors=${vectors.length} sqn=${last.toString(16).padStart(12, '0')}${resync}` };
  }

  // TS 29.228 6.1.2 (TS 29.229 6.1.3): Server-Assignment-Request, Table 6.1.2.1 (simplified to one registration per IMPI)
  private onSar(request: DiameterMessage): ApplicationAnswer {
    const type = readUnsigned32(requireAvp(request.avps, cx(CxAvp.ServerAssignmentType), 'Server-Assignment-Type'));
    const userName = optionalUtf8(request.avps, baseKey(BaseAvp.UserName));
    const impus = findAllAvps(request.avps, cx(CxAvp.PublicIdentity)).map(readUtf8);
    const serverName = optionalUtf8(request.avps, cx(CxAvp.ServerName));
    const typeName = assignmentTypeNames[type] ?? `type-${type}`;
    const detail = `user=${userName ?? '-'} impu=${impus[0] ?? '-'} type=${typeName}`;
    const reply = (avps: Avp[], why = ''): ApplicationAnswer => ({
      answer: answerTo(request, [...this.head(request), ...avps]),
      detail: `${detail}${why}`,
    });

    // TS 29.228 6.1.2.1: identify the user by User-Name, else by the Public-Identity
    const sub = userName !== undefined ? this.opts.directory.byImpi(userName) : impus[0] !== undefined ? this.opts.directory.byImpu(impus[0]) : undefined;
    if (!sub) return reply([this.experimental(ExperimentalResultCode.ErrorUserUnknown)], ' unknown user');
    if (impus.some((i) => !sub.impus.includes(i))) {
      return reply([this.experimental(ExperimentalResultCode.ErrorIdentitiesDontMatch), utf8Avp(baseKey(BaseAvp.UserName), sub.impi)], ' IMPU not of this IMPI');
    }
    const userData = (): Avp => octetAvp(cx(CxAvp.UserData), Buffer.from(imsSubscriptionXml(sub), 'utf8'));
    const ok = (withData: boolean): ApplicationAnswer =>
      reply([this.result(ResultCode.Success), utf8Avp(baseKey(BaseAvp.UserName), sub.impi), ...(withData ? [userData()] : [])]);
    const state = this.registrations.get(sub.impi) ?? { serverName: undefined, registered: false };
    const dataAlreadyAvailable = optionalUnsigned32(request.avps, cx(CxAvp.UserDataAlreadyAvailable)) === 1;

    switch (type) {
      case ServerAssignmentType.Registration:
      case ServerAssignmentType.ReRegistration:
        this.registrations.set(sub.impi, { serverName, registered: true });
        // Table 6.1.2.1: user data is sent unless the S-CSCF says it already has it
        return ok(!dataAlreadyAvailable || type === ServerAssignmentType.Registration);
      case ServerAssignmentType.UnregisteredUser:
        this.registrations.set(sub.impi, { serverName, registered: false });
        return ok(true);
      case ServerAssignmentType.NoAssignment:
      case ServerAssignmentType.AaaUserDataRequest:
        return ok(true);
      case ServerAssignmentType.TimeoutDeregistration:
      case ServerAssignmentType.UserDeregistration:
      case ServerAssignmentType.DeregistrationTooMuchData:
      case ServerAssignmentType.AdministrativeDeregistration:
        this.registrations.delete(sub.impi);
        return ok(false);
      case ServerAssignmentType.TimeoutDeregistrationStoreServerName:
      case ServerAssignmentType.UserDeregistrationStoreServerName:
        this.registrations.set(sub.impi, { serverName: state.serverName ?? serverName, registered: false });
        return ok(false);
      case ServerAssignmentType.AuthenticationFailure:
      case ServerAssignmentType.AuthenticationTimeout:
        // Table 6.1.2.1: keep a registered user's assignment, drop it for a user not registered
        if (!state.registered) this.registrations.delete(sub.impi);
        return ok(false);
      default:
        return reply([this.experimental(ExperimentalResultCode.ErrorInAssignmentType), utf8Avp(baseKey(BaseAvp.UserName), sub.impi)], ' assignment type not handled');
    }
  }
}
