// The contract between daemon/ims/ (sec-agree) and daemon/ipsec/ (the kernel's XFRM).
export type IntegrityAlgorithm = 'hmac-sha-1-96' | 'hmac-md5-96';
export type EncryptionAlgorithm = 'null' | 'aes-cbc' | 'des-ede3-cbc';

/** One side's sec-agree parameters (TS 33.203 7.1 / RFC 3329 + TS 24.229 7.2A.7) */
export interface SecurityEndpoint { address: string; portC: number; portS: number; spiC: number; spiS: number }

export interface SaSetSpec {
  ue: SecurityEndpoint;
  pcscf: SecurityEndpoint;
  integrity: IntegrityAlgorithm;
  encryption: EncryptionAlgorithm;
  /** from AKA; never logged */
  ik: Buffer;
  ck: Buffer;
}

/** What install() returns; holds no keys */
export interface InstalledSaSet {
  readonly id: number;
  readonly ue: SecurityEndpoint;
  readonly pcscf: SecurityEndpoint;
  readonly integrity: IntegrityAlgorithm;
  readonly encryption: EncryptionAlgorithm;
}

export interface IpsecManager {
  /** two fresh SPIs (spi-c, spi-s) for the UE side, unique among SAs in the kernel and not reused */
  allocateSpis(): Promise<{ spiC: number; spiS: number }>;
  /** the four transport-mode ESP SAs and their policies (TS 33.203 7.1), for UDP and TCP */
  install(spec: SaSetSpec): Promise<InstalledSaSet>;
  /** removes that set's SAs and policies; removing twice is a no-op */
  remove(set: InstalledSaSet): Promise<void>;
  /** removes SAs and policies marked as imsd's that no live set owns (a crashed run's); returns count */
  removeStale(): Promise<number>;
  close(): Promise<void>;
}

/** The XFRM operations an IpsecError can name. */
export type IpsecOperation =
  | 'add-sa' | 'delete-sa' | 'dump-sa' | 'add-policy' | 'delete-policy' | 'dump-policy'
  | 'install' | 'allocate-spis' | 'socket';

/**
 * An IPsec failure: names the operation and, for a kernel refusal, the errno (number and name,
 * e.g. 17 EEXIST). Never carries a key: messages are built from the operation, addresses, SPIs
 * and errno only.
 */
export class IpsecError extends Error {
  constructor(
    readonly operation: IpsecOperation,
    /** the kernel's errno (positive), when the kernel refused */
    readonly errno: number | undefined,
    /** the errno's name (EEXIST, ENOENT, ...), or a short cause for errors found before the kernel */
    readonly code: string,
    detail: string,
  ) {
    super(`${operation} failed: ${errno === undefined ? code : `${code} (errno ${errno})`}${detail ? ` — ${detail}` : ''}`);
    this.name = new.target.name;
  }
}

/** The parameters cannot be installed (algorithm set, key length, address, port, SPI); nothing reached the kernel. */
export class IpsecInputError extends IpsecError {
  constructor(detail: string) {
    super('install', undefined, 'invalid-parameters', detail);
  }
}
