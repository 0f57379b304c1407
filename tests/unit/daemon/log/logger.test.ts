import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { createLogger, formatLine, isLogLevel, LOG_LEVELS, syslogPriority, type LogLevel } from '../../../../daemon/log/logger.js';
import { REDACTED, registerSecret, scrub } from '../../../../daemon/log/redact.js';

/** A logger writing into memory; `lines()` waits for winston to flush. */
function memoryLogger(level: LogLevel = 'debug'): { log: ReturnType<typeof createLogger>; lines: () => Promise<string[]> } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => { text += d.toString('utf8'); });
  const log = createLogger({ level, stream, component: 'test' });
  return {
    log,
    lines: async () => {
      await new Promise((r) => setImmediate(r));
      return text.split('\n').filter((l) => l.length > 0);
    },
  };
}

describe('log/logger', () => {
  it('prefixes each line with its syslog priority and component', async () => {
    const { log, lines } = memoryLogger();
    log.error('boom', { code: 503 });
    log.warning('careful');
    log.notice('note');
    log.info('hello world', { impu: 'sip:+15551234@ims.example', expires: 600000 });
    log.child('sip').debug('deep', { text: 'two words' });
    assert.deepEqual(await lines(), [
      '<3>[test] boom code=503',
      '<4>[test] careful',
      '<5>[test] note',
      '<6>[test] hello world impu=sip:+15551234@ims.example expires=600000',
      '<7>[test/sip] deep text="two words"',
    ]);
  });

  it('filters by level and rejects unknown levels', async () => {
    const { log, lines } = memoryLogger('notice');
    log.info('hidden');
    log.debug('hidden');
    log.notice('shown');
    assert.deepEqual(await lines(), ['<5>[test] shown']);
    assert.equal(log.isEnabled('warning'), true);
    assert.equal(log.isEnabled('info'), false);
    assert.throws(() => createLogger({ level: 'verbose' as LogLevel }), /unknown log level "verbose"/);
    assert.equal(isLogLevel('warning'), true);
    assert.equal(isLogLevel('warn'), false);
    assert.deepEqual(LOG_LEVELS.map(syslogPriority), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps each record on one line', () => {
    assert.equal(formatLine('info', undefined, 'a\nb\r\nc'), '<6>a\\nb\\nc');
  });

  it('never prints secret-named fields or raw bytes', () => {
    const line = formatLine('debug', 'auth', 'vector', {
      rand: '00112233', k: 'aa', OPc: Buffer.alloc(16, 1), ck: 'x', IK: 'y', res: Buffer.alloc(8, 2), xres: 'z',
      password: 'pw', privateKey: 'p', nested: { ik: 'q', blob: Buffer.alloc(3) }, list: [Buffer.alloc(2)],
    });
    assert.equal(line, `<7>[auth] vector rand=00112233 k=${REDACTED} OPc=${REDACTED} ck=${REDACTED} IK=${REDACTED} `
      + `res=${REDACTED} xres=${REDACTED} password=${REDACTED} privateKey=${REDACTED} nested={ik=${REDACTED} blob=<3 bytes>} list=[<2 bytes>]`);
  });

  it('scrubs registered secrets in hex (any case) and base64 wherever they appear', () => {
    const secret = Buffer.from('0badc0ffee15600dcafe1234deadbeef', 'hex');
    registerSecret(secret);
    const b64 = secret.toString('base64');
    const text = `a ${secret.toString('hex').toUpperCase()} b ${b64} c ${b64.replace(/=+$/, '')} d`;
    assert.equal(scrub(text), `a ${REDACTED} b ${REDACTED} c ${REDACTED} d`);
    assert.equal(formatLine('info', undefined, `got ${secret.toString('hex')}`, { note: secret.toString('hex') }),
      `<6>got ${REDACTED} note=${REDACTED}`);
  });
});
