// The serving cell shared by the AT drivers (P-Access-Network-Info, TS 24.229 7.2A.4) with a fake
// command runner: 27.007 10.1.22 +CEREG (read form and URC) and 7.3 +COPS.
import assert from 'node:assert/strict';
import type { Logger, LogFields } from '../../../../daemon/log/logger.js';
import { ServingCell } from '../../../../modem-drivers/at/serving-cell.js';
import { AtError } from '../../../../modem-drivers/at/types.js';
import { ModemDriverError } from '../../../../modem-drivers/driver.js';

/** PLMN 00101, TAC 0x0001, E-UTRAN cell 0x0019B01 */
const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01';
const NEXT = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019C01';
const COPS = ['+COPS: 0,2,"00101",7'];

type Answer = string[] | 'refuse' | Error;

class Fake {
  readonly sent: string[] = [];
  readonly logged: string[] = [];
  readonly answers = new Map<string, Answer>();
  readonly log: Logger;

  constructor(answers: Record<string, Answer> = {}) {
    for (const [k, v] of Object.entries(answers)) this.answers.set(k, v);
    const line = (level: string) => (message: string, fields?: LogFields): void => {
      this.logged.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    };
    this.log = { error: line('error'), warning: line('warning'), notice: line('notice'), info: line('info'), debug: line('debug'), child: () => this.log, isEnabled: () => true };
  }

  #answer(command: string): Answer {
    this.sent.push(command);
    return this.answers.get(command) ?? 'refuse';
  }

  readonly run = async (command: string): Promise<string[]> => {
    const a = this.#answer(command);
    if (a instanceof Error) throw a;
    if (a === 'refuse') throw new AtError(command, { kind: 'error' }, 'ERROR');
    return a;
  };

  readonly try = async (command: string, why: string): Promise<string[] | undefined> => {
    const a = this.#answer(command);
    if (a instanceof Error) throw a;
    if (a === 'refuse') {
      this.logged.push(`notice refused ${command}: ${why}`);
      return undefined;
    }
    return a;
  };

  cell(): ServingCell {
    return new ServingCell(this.run, this.try, this.log);
  }
}

async function enabled(answers: Record<string, Answer>): Promise<{ f: Fake; cell: ServingCell }> {
  const f = new Fake({ 'AT+CEREG=2': [], 'AT+COPS=3,2': [], ...answers });
  const cell = f.cell();
  assert.equal(await cell.enable(), true);
  f.sent.length = 0;
  return { f, cell };
}

describe('modem-drivers/at ServingCell (+CEREG, +COPS)', () => {
  it('enable() sets +CEREG=2 then +COPS=3,2; a refusal of either is false, with one notice', async () => {
    const ok = new Fake({ 'AT+CEREG=2': [], 'AT+COPS=3,2': [] });
    const c = ok.cell();
    assert.equal(c.enabled, false);
    assert.equal(await c.enable(), true);
    assert.equal(c.enabled, true);
    assert.deepEqual(ok.sent, ['AT+CEREG=2', 'AT+COPS=3,2']);

    const noCereg = new Fake({ 'AT+COPS=3,2': [] });
    assert.equal(await noCereg.cell().enable(), false);
    assert.deepEqual(noCereg.sent, ['AT+CEREG=2'], 'nothing more after the refusal');
    assert.deepEqual(noCereg.logged, ['notice refused AT+CEREG=2: the serving cell is not known: no P-Access-Network-Info']);

    const noCops = new Fake({ 'AT+CEREG=2': [] });
    assert.equal(await noCops.cell().enable(), false);
    assert.deepEqual(noCops.sent, ['AT+CEREG=2', 'AT+COPS=3,2']);
    assert.equal(noCops.logged.length, 1);
  });

  it('enable() again after a refusal (a modem set up anew) reports the new answer', async () => {
    const f = new Fake({ 'AT+CEREG=2': [], 'AT+COPS=3,2': [] });
    const c = f.cell();
    assert.equal(await c.enable(), true);
    f.answers.set('AT+CEREG=2', 'refuse');
    assert.equal(await c.enable(), false);
    assert.equal(await c.query(), undefined);
    assert.equal(await c.onUrc('+CEREG: 1,"0001","00019C01",7', CELL), undefined);
    assert.deepEqual(f.sent, ['AT+CEREG=2', 'AT+COPS=3,2', 'AT+CEREG=2'], 'not enabled: nothing asked');
  });

  it('query() gives the value of a registered E-UTRAN cell (home and roaming, 2- and 3-digit MNC)', async () => {
    const { f, cell } = await enabled({ 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,1,"0001","00019B01",7'] });
    assert.equal(await cell.query(), CELL);
    assert.deepEqual(f.sent, ['AT+COPS?', 'AT+CEREG?']);
    f.answers.set('AT+COPS?', ['+COPS: 0,2,"310410",7']);
    f.answers.set('AT+CEREG?', ['+CEREG: 2,5,"00A2","0ABCDEF1"']);
    assert.equal(await cell.query(), '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=31041000A2ABCDEF1', 'no <AcT>: +CEREG is the EPS registration');
  });

  it('query() is undefined, with a log line, for refusals, bad lines, <stat> not 1/5, <AcT> not 7, no cell', async () => {
    const cases: [string, Record<string, Answer>, RegExp][] = [
      ['+COPS? refused', { 'AT+COPS?': 'refuse', 'AT+CEREG?': ['+CEREG: 2,1,"0001","00019B01",7'] }, /^warning the serving cell could not be read.*AT\+COPS\?: ERROR/],
      ['+CEREG? refused', { 'AT+COPS?': COPS, 'AT+CEREG?': 'refuse' }, /^warning the serving cell could not be read.*AT\+CEREG\?: ERROR/],
      ['no +COPS line', { 'AT+COPS?': [], 'AT+CEREG?': ['+CEREG: 2,1,"0001","00019B01",7'] }, /^warning .*gave no \+COPS line/],
      ['no operator', { 'AT+COPS?': ['+COPS: 0'] }, /^warning the modem names no operator/],
      ['alphanumeric operator', { 'AT+COPS?': ['+COPS: 0,0,"Test Net",7'] }, /^warning .*<format> 0, not 2/],
      ['a PLMN of 4 digits', { 'AT+COPS?': ['+COPS: 0,2,"0010",7'], 'AT+CEREG?': ['+CEREG: 2,1,"0001","00019B01",7'] }, /^warning .*PLMN must be 5 or 6 digits/],
      ['no +CEREG line', { 'AT+COPS?': COPS, 'AT+CEREG?': [] }, /^warning .*gave no \+CEREG line/],
      ['a malformed +CEREG', { 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,1,"zz","00019B01",7'] }, /^warning .*<tac> \\"zz\\"/],
      ['a cell id beyond 28 bits', { 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,1,"0001","F0019B01",7'] }, /^warning .*E-UTRAN cell id out of range/],
      ['searching (<stat> 2)', { 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,2,"0001","00019B01",7'] }, /^info not registered to the EPS/],
      ['denied (<stat> 3)', { 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,3'] }, /^info not registered to the EPS/],
      ['an NB-IoT cell (<AcT> 9)', { 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,1,"0001","00019B01",9'] }, /^info the serving cell is not an E-UTRAN cell/],
      ['no cell given', { 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,1'] }, /^warning the modem gave no cell with \+CEREG/],
    ];
    for (const [what, answers, logged] of cases) {
      const { f, cell } = await enabled(answers);
      assert.equal(await cell.query(), undefined, what);
      assert.ok(f.logged.some((l) => logged.test(l)), `${what}: ${f.logged.join(' | ')}`);
    }
  });

  it('query() passes on errors that are not the modem\'s answer (a reset under it)', async () => {
    const { cell } = await enabled({ 'AT+COPS?': new ModemDriverError('AT+COPS?', 'the modem was reset meanwhile') });
    await assert.rejects(cell.query(), ModemDriverError);
  });

  it('query() asks nothing when not enabled', async () => {
    const f = new Fake({ 'AT+COPS?': COPS, 'AT+CEREG?': ['+CEREG: 2,1,"0001","00019B01",7'] });
    const c = f.cell();
    assert.equal(await c.query(), undefined);
    assert.deepEqual(f.sent, []);
  });

  it('onUrc() gives the new value for another registered E-UTRAN cell, asking +COPS? for the PLMN', async () => {
    const { f, cell } = await enabled({ 'AT+COPS?': COPS });
    assert.equal(await cell.onUrc('+CEREG: 1,"0001","00019C01",7', CELL), NEXT);
    assert.deepEqual(f.sent, ['AT+COPS?']);
    assert.equal(await cell.onUrc('+CEREG: 1,"0001","00019C01",7', undefined), NEXT, 'a first value where there was none');
    f.answers.set('AT+COPS?', ['+COPS: 0,2,"310410",7']);
    assert.equal(await cell.onUrc('+CEREG: 5,"00A2","0ABCDEF1",7', NEXT), '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=31041000A2ABCDEF1');
    // the location is logged at debug only
    assert.ok(f.logged.includes('info serving cell changed'), f.logged.join(' | '));
    assert.deepEqual(f.logged.filter((l) => /utran-cell-id/.test(l)).map((l) => l.split(' ')[0]), ['debug', 'debug', 'debug']);
  });

  it('onUrc() is undefined for the same cell, <stat> not 1/5, <AcT> not 7, bad lines and refusals', async () => {
    const { f, cell } = await enabled({ 'AT+COPS?': COPS });
    assert.equal(await cell.onUrc('+CEREG: 1,"0001","00019B01",7', CELL), undefined, 'the same cell');
    assert.equal(await cell.onUrc('+CEREG: 1,"0001","00019E01",9', CELL), undefined, '<AcT> 9');
    assert.equal(f.sent.length, 2);
    f.sent.length = 0;
    assert.equal(await cell.onUrc('+CEREG: 2', CELL), undefined, 'searching');
    assert.equal(await cell.onUrc('+CEREG: 3,"0001","00019C01",7', CELL), undefined, 'denied');
    assert.equal(await cell.onUrc('+CEREG: 1', CELL), undefined, 'registered, no cell');
    assert.equal(await cell.onUrc('+CEREG: 1,"zz"', CELL), undefined, 'malformed');
    assert.deepEqual(f.sent, [], 'nothing asked for these');
    assert.ok(f.logged.some((l) => /^warning malformed \+CEREG ignored/.test(l)));
    f.answers.set('AT+COPS?', 'refuse');
    assert.equal(await cell.onUrc('+CEREG: 1,"0001","00019C01",7', CELL), undefined, '+COPS? refused');
    assert.ok(f.logged.some((l) => /^warning the new serving cell could not be read; P-Access-Network-Info unchanged/.test(l)));
    f.answers.set('AT+COPS?', ['+COPS: 0,1,"Test",7']);
    assert.equal(await cell.onUrc('+CEREG: 1,"0001","00019C01",7', CELL), undefined, 'short alphanumeric operator');
    assert.ok(!f.logged.some((l) => l.startsWith('info serving cell changed')));
  });

  it('onUrc() asks nothing when not enabled; noteUrc() only logs', async () => {
    const f = new Fake({ 'AT+COPS?': COPS });
    const c = f.cell();
    assert.equal(await c.onUrc('+CEREG: 1,"0001","00019C01",7', CELL), undefined);
    c.noteUrc('+CEREG: 1,"0001","00019C01",7');
    c.noteUrc('+CEREG: 1,"zz"');
    assert.deepEqual(f.sent, []);
    assert.deepEqual(f.logged.map((l) => l.split(' ').slice(0, 3).join(' ')), ['debug EPS registration', 'debug EPS registration', 'warning malformed +CEREG']);
  });
});
