import assert from 'node:assert/strict';
import { LineReader, MAX_LINE } from '../../../../modem-drivers/at/line-reader.js';
import { commandPrefix, isUrc, linePrefix, parseFinal, DEFAULT_URC_PREFIXES } from '../../../../modem-drivers/at/result-codes.js';
import { isSensitiveCommand, loggableCommand } from '../../../../modem-drivers/at/redact.js';

const lines = (r: LineReader, s: string): string[] => r.push(Buffer.from(s, 'latin1')).map((e) => (e.kind === 'line' ? e.text : e.kind));

describe('modem-drivers/at line reader and result codes', () => {
  it('splits on CRLF, bare CR, bare LF and LF CR, skipping empty lines', () => {
    const r = new LineReader();
    assert.deepEqual(lines(r, '\r\nOK\r\n'), ['OK']);
    assert.deepEqual(lines(r, 'A\rB\nC\n\rD\r\n\r\n'), ['A', 'B', 'C', 'D']);
  });

  it('keeps a line split over several chunks', () => {
    const r = new LineReader();
    assert.deepEqual(lines(r, '\r\n+CGCONTR'), []);
    assert.equal(r.pending, '+CGCONTR');
    assert.deepEqual(lines(r, 'DP: 1,5,"ims"\r'), ['+CGCONTRDP: 1,5,"ims"']);
  });

  it('reports a "> " prompt without a terminator', () => {
    const r = new LineReader();
    assert.deepEqual(lines(r, '\r\n> '), ['prompt']);
  });

  it('drops control characters and reports lines that are mostly noise', () => {
    const r = new LineReader();
    assert.deepEqual(lines(r, '\x00\x00O\x11K\r\n'), ['OK']);
    assert.deepEqual(lines(r, '\x00\x01\x02\x03\x04\x05A\r\n'), ['garbage']);
    assert.deepEqual(lines(r, '\xff\xff\xff\r\n'), ['garbage']);
  });

  it('drops an over-long line instead of buffering it forever', () => {
    const r = new LineReader();
    assert.deepEqual(lines(r, 'x'.repeat(MAX_LINE + 100)), []);
    assert.equal(r.pending.length, MAX_LINE);
    assert.deepEqual(lines(r, '\r\nOK\r\n'), ['garbage', 'OK']);
  });

  it('recognises the final result codes of V.250 and 27.007 9.2', () => {
    assert.deepEqual(parseFinal('OK'), { kind: 'ok' });
    assert.deepEqual(parseFinal('ERROR'), { kind: 'error' });
    assert.deepEqual(parseFinal('+CME ERROR: 10'), { kind: 'cme-error', code: 10 });
    assert.deepEqual(parseFinal('+CME ERROR: SIM not inserted'), { kind: 'cme-error', code: 'SIM not inserted' });
    assert.deepEqual(parseFinal('+CMS ERROR: 500'), { kind: 'cms-error', code: 500 });
    for (const t of ['NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE', 'CONNECT', 'CONNECT 150000000']) assert.deepEqual(parseFinal(t), { kind: 'other', text: t });
    for (const t of ['OKAY', '+CGACT: 1,1', 'ERROR 5', '0']) assert.equal(parseFinal(t), undefined, t);
  });

  it('tells URCs from response lines by the running command\'s prefix', () => {
    assert.equal(commandPrefix('AT+CGCONTRDP=1'), '+CGCONTRDP');
    assert.equal(commandPrefix('at+cpin?'), '+CPIN');
    assert.equal(commandPrefix('ATE0'), undefined);
    assert.equal(linePrefix('+CGEV: NW ACT 1,2,1'), '+CGEV');
    assert.equal(isUrc('+CGEV: NW ACT 1,2,1', DEFAULT_URC_PREFIXES, '+CGACT'), true);
    assert.equal(isUrc('+CPIN: READY', DEFAULT_URC_PREFIXES, '+CPIN'), false);
    assert.equal(isUrc('+CPIN: READY', DEFAULT_URC_PREFIXES, undefined), true);
    assert.equal(isUrc('RING', DEFAULT_URC_PREFIXES, undefined), true);
    assert.equal(isUrc('RINGER', DEFAULT_URC_PREFIXES, undefined), false);
    assert.equal(isUrc('+CGCONTRDP: 1,5,"ims"', DEFAULT_URC_PREFIXES, '+CGCONTRDP'), false);
  });

  it('hides AUTHENTICATE APDUs, and only those, from logs', () => {
    const auth = 'AT+CGLA=1,78,"018800812210' + 'ab'.repeat(16) + '10' + 'cd'.repeat(16) + '00"';
    assert.equal(isSensitiveCommand(auth), true);
    assert.equal(isSensitiveCommand('AT+CSIM=78,"008800812210' + 'ab'.repeat(32) + '"'), true);
    assert.equal(isSensitiveCommand('AT+CGLA=1,14,"01A4000402"'), false);
    const shown = loggableCommand(auth, true);
    assert.ok(!shown.includes('abab'), shown);
    assert.match(shown, /^AT\+CGLA=1,78,"01880081…"/);
  });
});
