// Drives a RegistrationMachine by hand: a FakeClock, every action recorded, responses built from
// the requests it sent, and a count of SA sets installed but not removed.
import { computeResponse, parseAuthorization } from '../../../../../daemon/auth/digest.js';
import type { InstalledSaSet, SaSetSpec } from '../../../../../daemon/ipsec/types.js';
import type { Logger } from '../../../../../daemon/log/logger.js';
import { FULL_OFFER } from '../../../../../daemon/ims/registration/sec-agree.js';
import { RegistrationMachine, type RegistrationAction, type RegistrationConfig, type RegistrationSnapshot } from '../../../../../daemon/ims/registration/machine.js';
import { FakeClock } from '../../../../../daemon/sip/clock.js';
import { sequenceRandom } from '../../../../../daemon/sip/dialogs/random.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { createResponse } from '../../../../../daemon/sip/response.js';

export const IMPI = '001010000000001@ims.example.org';
export const IMPU = 'sip:001010000000001@ims.example.org';
export const RAND = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
export const AUTN = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
export const NONCE = Buffer.concat([RAND, AUTN]).toString('base64');
export const RES = Buffer.from('a54211d5e3ba50bf', 'hex');
export const CK = Buffer.alloc(16, 0xc1);
export const IK = Buffer.alloc(16, 0x1c);
export const SERVER = 'ipsec-3gpp;alg=hmac-sha-1-96;ealg=null;spi-c=4001;spi-s=4002;port-c=5103;port-s=5203;q=0.1';
export const SERVER_MD5 = 'ipsec-3gpp;alg=hmac-md5-96;ealg=null;spi-c=4005;spi-s=4006;port-c=5105;port-s=5205;q=0.5';

export function config(over: Partial<RegistrationConfig> = {}): RegistrationConfig {
  return {
    impi: IMPI,
    impu: IMPU,
    homeDomain: 'ims.example.org',
    ueAddress: '10.0.0.2',
    pcscfs: [
      { address: '10.0.0.1', port: 5060 },
      { address: '10.0.0.9', port: 5060 },
    ],
    secAgree: 'ipsec-3gpp',
    unprotectedPort: 5060,
    protectedPorts: { portC: 6100, portS: 6101 },
    instanceId: 'urn:uuid:00000000-0000-0000-0000-000000000001',
    accessNetworkInfo: '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01',
    offer: [...FULL_OFFER],
    ...over,
  };
}

export class Harness {
  readonly clock = new FakeClock();
  readonly actions: RegistrationAction[] = [];
  readonly states: RegistrationSnapshot[] = [];
  readonly installed = new Map<number, SaSetSpec>();
  readonly removed = new Set<number>();
  readonly machine: RegistrationMachine;
  #nextSpi = 1000;
  #nextSet = 1;

  constructor(cfg: RegistrationConfig = config(), logger?: Logger) {
    this.machine = new RegistrationMachine({
      config: cfg,
      ...(logger ? { logger } : {}),
      clock: this.clock,
      random: sequenceRandom([], 'r'),
      jitter: () => 0,
      act: (a) => {
        this.actions.push(a);
        if (a.kind === 'state') this.states.push(a.snapshot);
        if (a.kind === 'remove-sas') this.removed.add(a.set.id);
      },
    });
  }

  of<K extends RegistrationAction['kind']>(kind: K): Extract<RegistrationAction, { kind: K }>[] {
    return this.actions.filter((a): a is Extract<RegistrationAction, { kind: K }> => a.kind === kind);
  }

  last<K extends RegistrationAction['kind']>(kind: K): Extract<RegistrationAction, { kind: K }> {
    const all = this.of(kind);
    if (all.length === 0) throw new Error(`no ${kind} action`);
    return all[all.length - 1]!;
  }

  get sent(): SipRequest[] {
    return this.of('send').map((a) => a.request);
  }

  /** answer the pending allocate-spis (with a new client port 6200, 6201, … when asked for one) */
  spis(): { spiC: number; spiS: number; portC?: number } {
    const a = this.last('allocate-spis');
    const s = { spiC: this.#nextSpi, spiS: this.#nextSpi + 1, ...(a.clientPort ? { portC: this.#nextPort++ } : {}) };
    this.#nextSpi += 2;
    this.machine.spisAllocated(a.token, s);
    return s;
  }

  #nextPort = 6200;

  /** client ports the machine released */
  get releasedPorts(): number[] {
    return this.of('release-client-port').map((a) => a.port);
  }

  /** answer the last request with `status` and extra headers */
  respond(status: number, headers: Array<[string, string]> = [], action = this.last('send')): SipResponse {
    const res = createResponse(action.request, status, { toTag: 'srv' });
    for (const [n, v] of headers) res.headers.append(n, v);
    this.machine.response(action.token, res);
    return res;
  }

  challenge(server: string[] = [SERVER], extra: Array<[string, string]> = []): void {
    this.respond(401, [
      ['WWW-Authenticate', `Digest realm="ims.example.org", nonce="${NONCE}", algorithm=AKAv1-MD5, qop="auth"`],
      ...server.map((s): [string, string] => ['Security-Server', s]),
      ...extra,
    ]);
  }

  akaOk(): void {
    this.machine.authenticated(this.last('authenticate').token, { kind: 'ok', res: RES, ck: CK, ik: IK });
  }

  /** answer the pending install-sas; returns the set */
  install(): InstalledSaSet {
    const a = this.last('install-sas');
    const set: InstalledSaSet = { id: this.#nextSet++, ue: a.spec.ue, pcscf: a.spec.pcscf, integrity: a.spec.integrity, encryption: a.spec.encryption };
    this.installed.set(set.id, a.spec);
    this.machine.sasInstalled(a.token, set);
    return set;
  }

  ok(expires = 600000, extra: Array<[string, string]> = []): void {
    const req = this.last('send').request;
    const contact = req.headers.get('Contact')!.replace(/;expires=\d+/, '');
    this.respond(200, [
      ['Contact', `${contact};expires=${expires}`],
      ['Service-Route', '<sip:orig@scscf.ims.example.org:6060;lr>'],
      ['P-Associated-URI', `<${IMPU}>, <sip:+15550001@ims.example.org>, <tel:+15550001>`],
      ...extra,
    ]);
  }

  /** run the whole sec-agree registration to 200 */
  register(expires = 600000): void {
    this.machine.start();
    this.spis();
    this.challenge();
    this.akaOk();
    this.install();
    this.ok(expires);
  }

  /** SA sets installed and never removed */
  get leaked(): number[] {
    return [...this.installed.keys()].filter((id) => !this.removed.has(id));
  }

  get state(): string {
    return this.machine.state;
  }
}

/** the request-digest the network expects for a REGISTER with this Authorization */
export function expectedResponse(auth: string, password = RES): string {
  const p = parseAuthorization(auth);
  const qop = p.get('qop') as 'auth' | undefined;
  return computeResponse({
    username: p.get('username')!,
    realm: p.get('realm')!,
    password,
    method: 'REGISTER',
    uri: p.get('uri')!,
    nonce: p.get('nonce')!,
    ...(qop ? { qop, nc: parseInt(p.get('nc')!, 16), cnonce: p.get('cnonce')! } : {}),
  });
}

export const hdr = (req: SipRequest, name: string): string[] => req.headers.getAll(name);
