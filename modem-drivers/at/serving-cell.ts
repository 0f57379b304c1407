// The serving LTE cell for the P-Access-Network-Info value (TS 24.229 7.2A.4), shared by the AT
// drivers (at/, mediatek/): 27.007 10.1.22 +CEREG=2 (EPS registration URCs with <tac> and <ci>, and
// the read form) and 7.3 +COPS=3,2 / +COPS? (the registered PLMN as MCC ‖ MNC). The driver gives
// its command runners and its logger; this class keeps only whether the modem took both settings.
import type { Logger } from '../../daemon/log/logger.js';
import { AccessNetworkError, eutranAccessNetworkInfo, splitPlmn } from '../access-network.js';
import { AtParseError, parseCereg, parseCops, type EpsRegistration } from './responses.js';
import { AtError } from './types.js';

/** runs a command and resolves with its information lines; throws AtError unless it ended OK */
export type RunCommand = (command: string) => Promise<string[]>;
/** an optional command: its lines, or undefined (the driver logged the refusal and why it matters) */
export type TryCommand = (command: string, why: string) => Promise<string[] | undefined>;

export class ServingCell {
  readonly #run: RunCommand;
  readonly #try: TryCommand;
  readonly #log: Logger;
  /** the modem reports the serving cell (+CEREG=2) and the operator as MCC MNC (+COPS=3,2) */
  #enabled = false;

  constructor(run: RunCommand, tryCommand: TryCommand, log: Logger) {
    this.#run = run;
    this.#try = tryCommand;
    this.#log = log;
  }

  /** whether the last enable() succeeded */
  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * 27.007 10.1.22 +CEREG=2: EPS registration URCs with the cell's <tac> and <ci>; 7.3 +COPS=3,2
   * (mode 3 sets only the format, no new network selection): +COPS? names the operator MCC ‖ MNC.
   * False when the modem refuses either (then query() and onUrc() ask nothing).
   */
  async enable(): Promise<boolean> {
    this.#enabled = false;
    this.#enabled =
      (await this.#try('AT+CEREG=2', 'the serving cell is not known: no P-Access-Network-Info')) !== undefined &&
      (await this.#try('AT+COPS=3,2', 'the operator is not known as MCC/MNC: no P-Access-Network-Info')) !== undefined;
    return this.#enabled;
  }

  /** The P-Access-Network-Info value from +COPS? and +CEREG?; undefined (and a warning) when the modem cannot say. */
  async query(): Promise<string | undefined> {
    if (!this.#enabled) return undefined;
    try {
      const plmn = await this.#servingPlmn();
      if (plmn === undefined) return undefined;
      const line = (await this.#run('AT+CEREG?')).find((l) => /^\+CEREG:/i.test(l));
      if (line === undefined) throw new AtParseError('+CEREG? gave no +CEREG line');
      return this.#cellValue(parseCereg(line), plmn, line);
    } catch (e) {
      if (!(e instanceof AtParseError || e instanceof AccessNetworkError || e instanceof AtError)) throw e;
      this.#log.warning('the serving cell could not be read: no P-Access-Network-Info', { error: e.message });
      return undefined;
    }
  }

  /**
   * 27.007 10.1.22 URC "+CEREG: <stat>[,<tac>,<ci>[,<AcT>]]" while the PDN is up, `current` being its
   * value now: the new value when the URC names a registered E-UTRAN cell that gives another value;
   * undefined otherwise (no change: the PDN's loss, if any, comes by other URCs).
   */
  async onUrc(line: string, current: string | undefined): Promise<string | undefined> {
    const reg = this.#parse(line);
    if (reg === undefined) return undefined;
    if (!this.#enabled || (reg.stat !== 1 && reg.stat !== 5) || reg.ci === undefined) {
      this.#debugRegistration(reg);
      return undefined;
    }
    let value: string | undefined;
    try {
      // the URC names no operator: ask (after a handover it may be an equivalent PLMN)
      const plmn = await this.#servingPlmn();
      if (plmn === undefined) return undefined;
      value = this.#cellValue(reg, plmn, line);
    } catch (e) {
      if (!(e instanceof AtParseError || e instanceof AccessNetworkError || e instanceof AtError)) throw e;
      this.#log.warning('the new serving cell could not be read; P-Access-Network-Info unchanged', { line, error: e.message });
      return undefined;
    }
    if (value === undefined || value === current) return undefined;
    // the location stays out of the info log
    this.#log.info('serving cell changed');
    this.#log.debug('new P-Access-Network-Info', { accessNetworkInfo: value });
    return value;
  }

  /** A +CEREG URC while no PDN is up: only logged (nothing to update, nothing asked). */
  noteUrc(line: string): void {
    const reg = this.#parse(line);
    if (reg !== undefined) this.#debugRegistration(reg);
  }

  #parse(line: string): EpsRegistration | undefined {
    try {
      return parseCereg(line);
    } catch (e) {
      if (!(e instanceof AtParseError)) throw e;
      this.#log.warning('malformed +CEREG ignored', { line, error: e.message });
      return undefined;
    }
  }

  #debugRegistration(reg: EpsRegistration): void {
    this.#log.debug('EPS registration', { stat: reg.stat, tac: reg.tac?.toString(16), ci: reg.ci?.toString(16), act: reg.act });
  }

  /** 27.007 7.3 +COPS?: the registered PLMN as MCC ‖ MNC (<format> 2); undefined when not registered */
  async #servingPlmn(): Promise<string | undefined> {
    const line = (await this.#run('AT+COPS?')).find((l) => /^\+COPS:/i.test(l));
    if (line === undefined) throw new AtParseError('+COPS? gave no +COPS line');
    const cops = parseCops(line);
    if (cops.oper === undefined) {
      this.#log.warning('the modem names no operator: no P-Access-Network-Info', { line });
      return undefined;
    }
    if (cops.format !== 2) throw new AtParseError(`+COPS? gave <format> ${cops.format}, not 2 (numeric), in "${line}"`);
    return cops.oper;
  }

  /**
   * The header value for an EPS registration: only when registered (<stat> 1 home, 5 roaming) on
   * E-UTRAN (<AcT> 7, or none given: +CEREG is the EPS registration) with the cell given; throws
   * AccessNetworkError on values a cell cannot have.
   */
  #cellValue(reg: EpsRegistration, plmn: string, line: string): string | undefined {
    this.#log.debug('serving cell', { plmn, stat: reg.stat, tac: reg.tac?.toString(16), ci: reg.ci?.toString(16), act: reg.act });
    if (reg.stat !== 1 && reg.stat !== 5) {
      this.#log.info('not registered to the EPS: no P-Access-Network-Info', { line });
      return undefined;
    }
    if (reg.act !== undefined && reg.act !== 7) {
      this.#log.info('the serving cell is not an E-UTRAN cell: no P-Access-Network-Info', { line });
      return undefined;
    }
    if (reg.tac === undefined || reg.ci === undefined) {
      this.#log.warning('the modem gave no cell with +CEREG: no P-Access-Network-Info', { line });
      return undefined;
    }
    return eutranAccessNetworkInfo({ ...splitPlmn(plmn), tac: reg.tac, eci: reg.ci });
  }
}
