import assert from 'node:assert/strict';
import { FramingError, StreamFramer, type FrameEvent } from '../../../../daemon/transport/stream-framer.js';
import { parseMessage } from '../../../../daemon/sip/parser.js';

const msg = (callId: string, body = ''): string =>
  `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK${callId}\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nl: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const messages = (evs: FrameEvent[]): string[] => evs.flatMap((e) => (e.type === 'message' ? [parseMessage(e.data).callId] : []));

describe('stream framer', () => {
  it('reassembles a message split at every byte boundary', () => {
    const data = Buffer.from(msg('split', 'v=0\r\n\r\nbody with blank line'));
    for (let cut = 1; cut < data.length; cut++) {
      const f = new StreamFramer();
      const evs = [...f.push(data.subarray(0, cut)), ...f.push(data.subarray(cut))];
      assert.deepEqual(messages(evs), ['split'], `cut at ${cut}`);
      assert.equal(f.pending, 0);
    }
  });

  it('returns several messages from one read, in order, keeping a partial tail', () => {
    const f = new StreamFramer();
    const all = msg('one') + msg('two', 'xyz') + msg('three');
    const evs = f.push(Buffer.from(all + msg('four').slice(0, 30)));
    assert.deepEqual(messages(evs), ['one', 'two', 'three']);
    assert.equal(f.pending, 30);
    assert.deepEqual(messages(f.push(Buffer.from(msg('four').slice(30)))), ['four']);
  });

  it('recognises RFC 5626 ping (CRLFCRLF) and pong (CRLF) between messages', () => {
    const client = new StreamFramer();
    assert.deepEqual(client.push(Buffer.from('\r\n')), [{ type: 'pong' }]);
    const server = new StreamFramer({ expectPings: true });
    assert.deepEqual(server.push(Buffer.from('\r\n')), []);
    assert.deepEqual(server.push(Buffer.from('\r\n')), [{ type: 'ping' }]);
    const evs = server.push(Buffer.from(`\r\n\r\n${msg('after-ping')}\r\n\r\n`));
    assert.deepEqual(evs.map((e) => e.type), ['ping', 'message', 'ping']);
  });

  it('rejects a missing, invalid, conflicting or oversized Content-Length and oversized headers', () => {
    const noLen = 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n';
    assert.throws(() => new StreamFramer().push(Buffer.from(noLen)), FramingError);
    assert.throws(() => new StreamFramer().push(Buffer.from(noLen.replace('\r\n\r\n', '\r\nContent-Length: -1\r\n\r\n'))), FramingError);
    assert.throws(() => new StreamFramer().push(Buffer.from(noLen.replace('\r\n\r\n', '\r\nContent-Length: 1\r\nl: 2\r\n\r\n'))), FramingError);
    assert.throws(() => new StreamFramer({ maxBodyBytes: 100 }).push(Buffer.from(noLen.replace('\r\n\r\n', '\r\nContent-Length: 101\r\n\r\n'))), FramingError);
    assert.throws(() => new StreamFramer({ maxHeaderBytes: 1000 }).push(Buffer.alloc(1001, 0x41)), FramingError);
  });

  it('finds a folded Content-Length', () => {
    const f = new StreamFramer();
    const text = 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: fold\r\nContent-Length:\r\n  3\r\n\r\nabc';
    const evs = f.push(Buffer.from(text));
    assert.equal(evs.length, 1);
    assert.equal(evs[0].type === 'message' && evs[0].data.toString().endsWith('abc'), true);
  });
});
