// A soft SIM: a USIM emulated from configured IMSI, K and OPc (or OP). It answers AKA challenges
// like a card and keeps the SQN array (TS 33.102 Annex C) in a JSON state file. The new array is
// on disk (temp file, fsync, rename) before an `ok` result is returned, so a crash can never make
// an already accepted AUTN acceptable again.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { authenticate as akaAuthenticate, DEFAULT_AKA_POLICY, type AkaPolicy } from '../aka.js';
import { hexField } from '../bytes.js';
import { AuthError, AuthInputError } from '../errors.js';
import { computeOpc, Milenage } from '../milenage.js';
import { initialSqnState, type SqnState } from '../sqn.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { registerSecret } from '../../log/redact.js';
import { deriveIdentities } from './identity.js';
import { CommandQueue, copyIdentities, type SimAuthResult, type SimCard, type SimIdentities } from './sim-card.js';

export interface SoftSimConfig {
  imsi: string;
  /** Digits of the MNC in the IMSI (2 or 3); needed to derive the home domain. */
  mncLength: number;
  /** Subscriber key K, 32 hex digits. */
  k: string;
  /** OPc, 32 hex digits. Exactly one of opc and op must be given. */
  opc?: string;
  /** Operator variant OP, 32 hex digits; OPc is computed from it (TS 35.206 4.1). */
  op?: string;
  /**
   * AMF the HSS is provisioned with, 4 hex digits. Checked for form only: the USIM takes the AMF
   * from each AUTN (TS 33.102 6.3.3); acceptance of its separation bit is set by `policy`.
   */
  amf?: string;
  impi?: string;
  impus?: string[];
  homeDomain?: string;
  pcscf?: string[];
  /** Path of the JSON file that keeps the SQN array. */
  stateFile: string;
  policy?: AkaPolicy;
  logger?: Logger;
}

/** The SQN state file cannot be read, parsed or written; the message names the file. */
export class SimStateError extends AuthError {}

/** The card was closed. */
export class SimClosedError extends AuthError {}

const STATE_VERSION = 1;

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new AuthInputError(`${name} must be a non-empty string`);
  return value;
}

function optionalList(name: string, value: unknown, pattern?: RegExp): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0 || (pattern && !pattern.test(v)))) {
    throw new AuthInputError(`${name} must be a list of non-empty strings${pattern ? ' of the expected form' : ''}`);
  }
  return value.slice() as string[];
}

function parseState(file: string, text: string, policy: AkaPolicy): SqnState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SimStateError(`SQN state file ${file} is not valid JSON`);
  }
  const d = data as { version?: unknown; seqMs?: unknown } | null;
  if (typeof d !== 'object' || d === null || d.version !== STATE_VERSION) {
    throw new SimStateError(`SQN state file ${file} has no version ${STATE_VERSION} state`);
  }
  const seqMs = d.seqMs;
  if (!Array.isArray(seqMs) || seqMs.length !== 2 ** policy.indBits
    || seqMs.some((s) => typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || s >= 2 ** (48 - policy.indBits))) {
    throw new SimStateError(`SQN state file ${file} has a malformed seqMs array (need ${2 ** policy.indBits} SEQ values)`);
  }
  return { seqMs: seqMs as number[] };
}

async function loadState(file: string, policy: AkaPolicy): Promise<SqnState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return initialSqnState(policy);
    throw new SimStateError(`cannot read SQN state file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseState(file, text, policy);
}

/** Writes the state to a temp file in the same directory, fsyncs it, then renames it over `file`. */
async function saveState(file: string, state: SqnState): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const body = `${JSON.stringify({ version: STATE_VERSION, seqMs: state.seqMs })}\n`;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(body, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new SimStateError(`cannot write SQN state file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // Make the rename itself durable; not every platform lets a directory be fsynced.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort
  }
}

export class SoftSim implements SimCard {
  readonly #milenage: Milenage;
  readonly #identities: SimIdentities;
  readonly #stateFile: string;
  readonly #policy: AkaPolicy;
  #state: SqnState;
  readonly #log: Logger;
  readonly #queue = new CommandQueue();
  #closed = false;

  private constructor(k: Buffer, opc: Buffer, ids: SimIdentities, stateFile: string, policy: AkaPolicy, state: SqnState, log: Logger) {
    registerSecret(k);
    registerSecret(opc);
    this.#log = log;
    this.#milenage = new Milenage(k, opc);
    this.#identities = ids;
    this.#stateFile = stateFile;
    this.#policy = policy;
    this.#state = state;
  }

  /** Validates the configuration and loads the SQN state (a missing file starts fresh). */
  static async open(config: SoftSimConfig): Promise<SoftSim> {
    const c = config as Partial<SoftSimConfig>;
    const derived = deriveIdentities(c.imsi as string, c.mncLength as number);
    const k = hexField('K', c.k as string, 16);
    if ((c.opc === undefined) === (c.op === undefined)) throw new AuthInputError('exactly one of OPc and OP must be configured');
    const opc = c.opc !== undefined ? hexField('OPc', c.opc, 16) : computeOpc(k, hexField('OP', c.op as string, 16));
    if (c.amf !== undefined) hexField('AMF', c.amf, 2);
    const impi = optionalString('IMPI', c.impi);
    const homeDomain = optionalString('home domain', c.homeDomain);
    const impus = optionalList('IMPU', c.impus, /^(sips?|tel):/);
    const pcscf = optionalList('P-CSCF', c.pcscf);
    const stateFile = optionalString('state file', c.stateFile);
    if (stateFile === undefined) throw new AuthInputError('state file must be configured');
    const policy = c.policy ?? DEFAULT_AKA_POLICY;

    const ids: SimIdentities = {
      impi: impi ?? derived.impi,
      impus: impus && impus.length > 0 ? impus : [derived.impu],
      homeDomain: homeDomain ?? derived.homeDomain,
      pcscf: pcscf ?? [],
      imsi: c.imsi as string,
      source: 'soft',
    };
    const state = await loadState(stateFile, policy);
    const log = c.logger ?? silentLogger;
    log.debug('soft SIM opened', { impi: ids.impi, stateFile });
    return new SoftSim(k, opc, ids, stateFile, policy, state, log);
  }

  identities(): Promise<SimIdentities> {
    if (this.#closed) return Promise.reject(new SimClosedError('soft SIM is closed'));
    return Promise.resolve(copyIdentities(this.#identities));
  }

  /** Challenges run one at a time, so each sees the SQN array the previous one left. */
  authenticate(rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    return this.#queue.run(() => this.#authenticateNow(rand, autn));
  }

  async #authenticateNow(rand: Buffer, autn: Buffer): Promise<SimAuthResult> {
    if (this.#closed) throw new SimClosedError('soft SIM is closed');
    const r = akaAuthenticate(this.#milenage, rand, autn, this.#state, this.#policy);
    const challenge = { rand: rand.toString('hex'), autn: autn.toString('hex') };
    switch (r.kind) {
      case 'ok':
        registerSecret(r.res);
        registerSecret(r.ck);
        registerSecret(r.ik);
        // Persist first: if this throws, the caller gets no RES and the AUTN stays unconsumed.
        await saveState(this.#stateFile, r.state);
        this.#state = r.state;
        this.#log.debug('AKA challenge accepted', challenge);
        return { kind: 'ok', res: r.res, ck: r.ck, ik: r.ik };
      case 'sync-failure':
        this.#log.info('AKA challenge has a stale SQN, answering AUTS', { ...challenge, reason: r.reason, auts: r.auts.toString('hex') });
        return { kind: 'sync-failure', auts: r.auts };
      case 'mac-failure':
        this.#log.warning('AKA challenge rejected: MAC does not match, network not authenticated', challenge);
        return { kind: 'mac-failure', cause: 'mac' };
      case 'amf-failure':
        this.#log.warning('AKA challenge rejected: AMF separation bit not set', challenge);
        return { kind: 'mac-failure', cause: 'amf' };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.drained();
  }

  toJSON(): object {
    return { source: 'soft', impi: this.#identities.impi };
  }
}
