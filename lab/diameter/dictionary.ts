// Command codes, application ids, AVP codes and result codes used by the lab HSS:
// RFC 6733 (base protocol) and 3GPP TS 29.229 (Cx/Dx, vendor 10415).

export const VENDOR_3GPP = 10415;
export const APP_DIAMETER_COMMON = 0;
/** TS 29.229 6.1: the Cx/Dx application id. */
export const APP_CX = 16777216;

export const Command = {
  // RFC 6733 3.1
  CapabilitiesExchange: 257,
  DeviceWatchdog: 280,
  DisconnectPeer: 282,
  // TS 29.229 6.1 Table 6.1.1
  UserAuthorization: 300,
  ServerAssignment: 301,
  LocationInfo: 302,
  MultimediaAuth: 303,
  RegistrationTermination: 304,
  PushProfile: 305,
} as const;

/** RFC 6733 4.5 base AVP codes. */
export const BaseAvp = {
  UserName: 1,
  HostIpAddress: 257,
  AuthApplicationId: 258,
  AcctApplicationId: 259,
  VendorSpecificApplicationId: 260,
  SessionId: 263,
  OriginHost: 264,
  SupportedVendorId: 265,
  VendorId: 266,
  FirmwareRevision: 267,
  ResultCode: 268,
  ProductName: 269,
  DisconnectCause: 273,
  AuthSessionState: 277,
  OriginStateId: 278,
  FailedAvp: 279,
  ErrorMessage: 281,
  DestinationRealm: 283,
  DestinationHost: 293,
  OriginRealm: 296,
  ExperimentalResult: 297,
  ExperimentalResultCode: 298,
  InbandSecurityId: 299,
} as const;

/** TS 29.229 6.3 Cx AVP codes (vendor 10415). */
export const CxAvp = {
  VisitedNetworkIdentifier: 600,
  PublicIdentity: 601,
  ServerName: 602,
  ServerCapabilities: 603,
  UserData: 606,
  SipNumberAuthItems: 607,
  SipAuthenticationScheme: 608,
  SipAuthenticate: 609,
  SipAuthorization: 610,
  SipAuthenticationContext: 611,
  SipAuthDataItem: 612,
  SipItemNumber: 613,
  ServerAssignmentType: 614,
  DeregistrationReason: 615,
  UserAuthorizationType: 623,
  UserDataAlreadyAvailable: 624,
  ConfidentialityKey: 625,
  IntegrityKey: 626,
  SupportedFeatures: 628,
} as const;

/** RFC 6733 7.1 Result-Code values. */
export const ResultCode = {
  Success: 2001,
  CommandUnsupported: 3001,
  UnableToDeliver: 3002,
  ApplicationUnsupported: 3007,
  InvalidAvpBits: 3009,
  AuthorizationRejected: 5003,
  MissingAvp: 5005,
  UnableToComply: 5012,
} as const;

/** TS 29.229 6.2 Experimental-Result-Code values. */
export const ExperimentalResultCode = {
  FirstRegistration: 2001,
  SubsequentRegistration: 2002,
  UnregisteredService: 2003,
  ErrorUserUnknown: 5001,
  ErrorIdentitiesDontMatch: 5002,
  ErrorIdentityNotRegistered: 5003,
  ErrorAuthSchemeNotSupported: 5006,
  ErrorInAssignmentType: 5007,
} as const;

/** TS 29.229 6.3.15 Server-Assignment-Type. */
export const ServerAssignmentType = {
  NoAssignment: 0,
  Registration: 1,
  ReRegistration: 2,
  UnregisteredUser: 3,
  TimeoutDeregistration: 4,
  UserDeregistration: 5,
  TimeoutDeregistrationStoreServerName: 6,
  UserDeregistrationStoreServerName: 7,
  AdministrativeDeregistration: 8,
  AuthenticationFailure: 9,
  AuthenticationTimeout: 10,
  DeregistrationTooMuchData: 11,
  AaaUserDataRequest: 12,
  PgwUpdate: 13,
  Restoration: 14,
} as const;

/** RFC 6733 8.11 Auth-Session-State. */
export const NO_STATE_MAINTAINED = 1;

const commandNames: Record<number, string> = {
  257: 'CE', 280: 'DW', 282: 'DP', 300: 'UA', 301: 'SA', 302: 'LI', 303: 'MA', 304: 'RT', 305: 'PP',
};

/** Short name of a command as logs spell it: MAR, MAA, CER... */
export function commandName(code: number, request: boolean): string {
  const stem = commandNames[code];
  return stem === undefined ? `command-${code}${request ? '-request' : '-answer'}` : `${stem}${request ? 'R' : 'A'}`;
}

/** AVP key of a 3GPP (vendor 10415) AVP. */
export function cx(code: number): { code: number; vendorId: number } {
  return { code, vendorId: VENDOR_3GPP };
}

/** AVP key of a base-protocol (no vendor) AVP. */
export function baseKey(code: number): { code: number } {
  return { code };
}
