import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { AtStreamChannel, expectOk, run } from '../../../../modem-drivers/at/channel.js';
import { AtError, AtTimeoutError } from '../../../../modem-drivers/at/types.js';
import { createLogger } from '../../../../daemon/log/logger.js';
import { Writable } from 'node:stream';

/** The modem's side of a serial line, driven by the test. */
class FakeLine extends Duplex {
  readonly written: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.written.push(chunk.toString('latin1'));
    this.emit('wrote', chunk.toString('latin1'));
    cb();
  }
  override _read(): void {}
  send(text: string): void {
    this.push(Buffer.from(text, 'latin1'));
  }
  /** resolves with the next command the host writes */
  next(): Promise<string> {
    return new Promise((resolve) => this.once('wrote', (s: string) => resolve(s)));
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('modem-drivers/at AtStreamChannel (no pty)', () => {
  let line: FakeLine;
  let ch: AtStreamChannel;
  let urcs: string[];
  beforeEach(() => {
    line = new FakeLine();
    ch = new AtStreamChannel(line, { timeoutMs: 200 });
    urcs = [];
    ch.on('urc', (l) => urcs.push(l));
  });
  afterEach(async () => ch.close());

  it('sends the command with CR, skips the echo and collects the information lines', async () => {
    const wrote = line.next();
    const p = ch.command('AT+CGACT?');
    assert.equal(await wrote, 'AT+CGACT?\r');
    line.send('AT+CGACT?\r\r\n+CGACT: 1,1\r\n+CGACT: 2,0\r\n\r\nOK\r\n');
    assert.deepEqual(await p, { lines: ['+CGACT: 1,1', '+CGACT: 2,0'], final: { kind: 'ok' } });
  });

  it('runs one command at a time, in order', async () => {
    const first = line.next();
    const a = ch.command('AT+CGDCONT=1,"IPV4V6","ims"');
    const b = ch.command('AT+CGACT=1,1');
    await first;
    assert.equal(line.written.length, 1, 'the second command waits for the first one\'s result');
    const second = line.next();
    line.send('\r\nOK\r\n');
    assert.equal(await second, 'AT+CGACT=1,1\r');
    line.send('\r\n+CME ERROR: 30\r\n');
    assert.deepEqual((await a).final, { kind: 'ok' });
    assert.deepEqual(await b, { lines: [], final: { kind: 'cme-error', code: 30 } });
  });

  it('emits URCs that arrive between a command and its result, apart from the response', async () => {
    const p = ch.command('AT+CGCONTRDP=1');
    await tick();
    line.send('\r\n+CGEV: NW ACT 1,2,1\r\n+CGCONTRDP: 1,5,"ims","10.45.0.2.255.255.255.0"\r\nRING\r\n\r\nOK\r\n');
    assert.deepEqual((await p).lines, ['+CGCONTRDP: 1,5,"ims","10.45.0.2.255.255.255.0"']);
    assert.deepEqual(urcs, ['+CGEV: NW ACT 1,2,1', 'RING']);
  });

  it('takes a line with the running command\'s prefix as its response, even if it is a URC elsewhere', async () => {
    const p = ch.command('AT+CPIN?');
    await tick();
    line.send('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    assert.deepEqual((await p).lines, ['+CPIN: READY']);
    line.send('\r\n+CPIN: READY\r\n');
    await tick();
    assert.deepEqual(urcs, ['+CPIN: READY']);
  });

  it('hands any line that comes with no command running to the URC listeners', async () => {
    line.send('\r\n+CGEV: ME PDN DEACT 1\r\n^VENDOR: 1\r\nOK\r\n');
    await tick();
    assert.deepEqual(urcs, ['+CGEV: ME PDN DEACT 1', '^VENDOR: 1'], 'a stray OK is not a URC');
  });

  it('answers the "> " prompt with the continuation and Ctrl-Z', async () => {
    const p = ch.command('AT+CMGS=23', { continuation: '0001000b915155551234f0000004f4f29c0e' });
    await tick();
    const cont = line.next();
    line.send('\r\n> ');
    assert.equal(await cont, '0001000b915155551234f0000004f4f29c0e\x1a');
    line.send('\r\n+CMGS: 4\r\n\r\nOK\r\n');
    assert.deepEqual(await p, { lines: ['+CMGS: 4'], final: { kind: 'ok' } });
  });

  it('tolerates garbage and truncated lines', async () => {
    const p = ch.command('AT+CGCONTRDP=1');
    await tick();
    line.send('\x00\x00\xff\xff\r\n+CGCONTR');
    line.send('\r\n\x00\x01\x02\x03\x04\x05\x06\x07x\r\nOK\r\n');
    assert.deepEqual(await p, { lines: ['+CGCONTR'], final: { kind: 'ok' } });
  });

  it('rejects a command that gets no final result with AtTimeoutError, then resynchronises', async () => {
    const p = ch.command('AT+CGACT=1,1', { timeoutMs: 50 });
    await assert.rejects(p, (e: unknown) => e instanceof AtTimeoutError && e.command === 'AT+CGACT=1,1');
    // the next command is preceded by a plain AT; the late answer of the first is not mistaken for its own
    const resync = line.next();
    const q = ch.command('AT+CGCONTRDP=1');
    assert.equal(await resync, 'AT\r');
    const after = line.next();
    line.send('\r\nOK\r\n');
    assert.equal(await after, 'AT+CGCONTRDP=1\r');
    line.send('\r\n+CGCONTRDP: 1,5,"ims"\r\nOK\r\n');
    assert.deepEqual((await q).lines, ['+CGCONTRDP: 1,5,"ims"']);
  });

  it('fails the next command too when the modem does not answer the resynchronising AT', async () => {
    await assert.rejects(ch.command('AT+CGACT=1,1', { timeoutMs: 30 }), AtTimeoutError);
    await assert.rejects(ch.command('AT+CGACT?'), (e: unknown) => e instanceof AtTimeoutError && /does not answer/.test(e.message));
    // and recovers once the modem talks again
    const p = ch.command('AT');
    await tick();
    line.send('OK\r\n');
    assert.equal((await p).final.kind, 'ok');
  });

  it('rejects the running and the queued commands when the stream ends, and later ones at once', async () => {
    let closed = '';
    ch.on('closed', (r) => (closed = r));
    const a = ch.command('AT+CGACT=1,1');
    const b = ch.command('AT+CGACT?');
    await tick();
    line.push(null);
    await assert.rejects(a, (e: unknown) => e instanceof AtError && /closed: end of file/.test(e.message));
    await assert.rejects(b, (e: unknown) => e instanceof AtError && /closed/.test(e.message));
    await assert.rejects(ch.command('AT'), /closed/);
    assert.match(closed, /end of file/);
  });

  it('expectOk and run throw AtError carrying the final result', async () => {
    const p = run(ch, 'AT+CGACT=1,1');
    await tick();
    line.send('\r\n+CME ERROR: 30\r\n');
    await assert.rejects(p, (e: unknown) => e instanceof AtError && e.final?.kind === 'cme-error' && /no network service/.test(e.message));
    assert.deepEqual(expectOk('AT', { lines: ['x'], final: { kind: 'ok' } }), ['x']);
  });

  it('never logs the data of an AUTHENTICATE APDU nor the card\'s answer', async () => {
    const out: string[] = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { out.push(c.toString()); cb(); } });
    const logged = new AtStreamChannel(line, { logger: createLogger({ level: 'debug', stream: sink }) });
    const rand = '0123456789abcdef0123456789abcdef';
    const p = logged.command(`AT+CGLA=1,78,"0188008122 10${rand}10${rand}00"`.replace(' ', ''));
    await tick();
    line.send('\r\n+CGLA: 4,"6135"\r\nOK\r\n');
    await p;
    const q = logged.command('AT+CGLA=1,10,"01C0000035"', { sensitive: true });
    await tick();
    line.send('\r\n+CGLA: 110,"DB08A1B2C3D4E5F6A7B8"\r\nOK\r\n');
    await q;
    await new Promise((r) => setTimeout(r, 20));
    const text = out.join('');
    assert.ok(text.includes('AT+CGLA=1,78'), text);
    assert.ok(!text.toLowerCase().includes(rand), text);
    assert.ok(!text.includes('A1B2C3D4'), text);
    await logged.close();
  });
});
