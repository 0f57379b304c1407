import { strict as assert } from 'node:assert';
import { decodeAvps, decodeMessage, encodeAvp, encodeMessage } from '../../../../lab/diameter/codec.js';
import { groupedAvp, readGrouped, readUnsigned32, unsigned32Avp, utf8Avp, addressAvp } from '../../../../lab/diameter/avp.js';
import { DiameterAvpError, DiameterDecodeError } from '../../../../lab/diameter/errors.js';
import { DiameterFramer } from '../../../../lab/diameter/framer.js';
import type { DiameterMessage } from '../../../../lab/diameter/message.js';

function sample(): DiameterMessage {
  return {
    commandCode: 303,
    applicationId: 16777216,
    request: true,
    proxiable: true,
    error: false,
    hopByHop: 0x01020304,
    endToEnd: 0xfffffffe,
    avps: [
      utf8Avp({ code: 263 }, 'scscf.example;1;2'),
      utf8Avp({ code: 1 }, '001010000000001@ims.example'),
      groupedAvp({ code: 612, vendorId: 10415 }, [
        utf8Avp({ code: 608, vendorId: 10415 }, 'Digest-AKAv1-MD5'),
        { code: 610, vendorId: 10415, mandatory: true, data: Buffer.from('0102030405', 'hex') },
      ]),
      unsigned32Avp({ code: 607, vendorId: 10415 }, 1),
    ],
  };
}

function decodeError(fn: () => unknown): DiameterDecodeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DiameterDecodeError, `expected DiameterDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a DiameterDecodeError');
}

describe('lab/diameter codec (RFC 6733)', () => {
  it('encodes an AVP header, vendor id and zero padding byte-exactly (RFC 6733 4.1)', () => {
    // Origin-Host "abcde": code 264, flags M, length 8+5=13, 3 padding bytes
    assert.equal(encodeAvp(utf8Avp({ code: 264 }, 'abcde')).toString('hex'), '00000108' + '40' + '00000d' + '6162636465' + '000000');
    // SIP-Item-Number 1, vendor 10415: flags V|M, length 12+4=16
    assert.equal(encodeAvp(unsigned32Avp({ code: 613, vendorId: 10415 }, 1)).toString('hex'), '00000265' + 'c0' + '000010' + '000028af' + '00000001');
    // Host-IP-Address 127.0.0.1: address family 1 then 4 bytes (RFC 6733 4.3.1)
    assert.equal(addressAvp({ code: 257 }, '127.0.0.1').data.toString('hex'), '00017f000001');
    assert.equal(addressAvp({ code: 257 }, '::1').data.toString('hex'), '0002' + '00'.repeat(15) + '01');
  });

  it('encodes the header: version, length, flags, command code, ids (RFC 6733 3)', () => {
    const buf = encodeMessage(sample());
    assert.equal(buf.length % 4, 0);
    assert.equal(buf[0], 1);
    assert.equal(buf.readUIntBE(1, 3), buf.length);
    assert.equal(buf[4], 0xc0); // R and P
    assert.equal(buf.readUIntBE(5, 3), 303);
    assert.equal(buf.readUInt32BE(8), 16777216);
    assert.equal(buf.readUInt32BE(12), 0x01020304);
    assert.equal(buf.readUInt32BE(16), 0xfffffffe);
  });

  it('round-trips a message with vendor, grouped and padded AVPs', () => {
    const msg = sample();
    const decoded = decodeMessage(encodeMessage(msg));
    assert.deepEqual(decoded, msg);
    const inner = readGrouped(decoded.avps[2]!);
    assert.equal(inner[1]!.data.toString('hex'), '0102030405');
    assert.equal(readUnsigned32(decoded.avps[3]!), 1);
    assert.deepEqual(encodeMessage(decoded), encodeMessage(msg));
  });

  it('keeps the E, T and P bits', () => {
    const msg: DiameterMessage = { ...sample(), request: false, error: true, retransmitted: true, proxiable: false };
    const decoded = decodeMessage(encodeMessage(msg));
    assert.equal(decoded.error, true);
    assert.equal(decoded.retransmitted, true);
    assert.equal(decoded.proxiable, false);
    assert.equal(decoded.request, false);
  });

  it('rejects a truncated header', () => {
    assert.equal(decodeError(() => decodeMessage(Buffer.alloc(19))).kind, 'truncated-header');
  });

  it('rejects a version other than 1', () => {
    const buf = encodeMessage(sample());
    buf[0] = 2;
    assert.equal(decodeError(() => decodeMessage(buf)).kind, 'unsupported-version');
  });

  it('rejects a length field that disagrees with the buffer or is not a multiple of 4', () => {
    const buf = encodeMessage(sample());
    assert.equal(decodeError(() => decodeMessage(buf.subarray(0, buf.length - 4))).kind, 'bad-message-length');
    const odd = Buffer.from(buf);
    odd.writeUIntBE(buf.length - 1, 1, 3);
    assert.equal(decodeError(() => decodeMessage(odd.subarray(0, buf.length - 1))).kind, 'bad-message-length');
  });

  it('rejects an AVP whose length is shorter than its header, naming the offset', () => {
    const buf = encodeMessage(sample());
    buf.writeUIntBE(7, 20 + 5, 3); // first AVP (at byte 20) claims 7 bytes
    const err = decodeError(() => decodeMessage(buf));
    assert.equal(err.kind, 'bad-avp-length');
    assert.equal(err.offset, 20);
  });

  it('rejects an AVP that overruns the message', () => {
    const buf = encodeMessage(sample());
    buf.writeUIntBE(0xffff, 20 + 5, 3);
    assert.equal(decodeError(() => decodeMessage(buf)).kind, 'truncated-avp');
  });

  it('rejects a body ending in a partial AVP header', () => {
    assert.equal(decodeError(() => decodeAvps(Buffer.alloc(4))).kind, 'truncated-avp');
  });

  it('reports a malformed Grouped value or Unsigned32 as a DiameterAvpError with 5004', () => {
    const bad = { code: 612, vendorId: 10415, mandatory: true, data: Buffer.from('0000026000', 'hex') };
    assert.throws(() => readGrouped(bad), (e: unknown) => e instanceof DiameterAvpError && e.resultCode === 5004 && e.code === 612);
    assert.throws(() => readUnsigned32({ code: 607, mandatory: true, data: Buffer.alloc(3) }), DiameterAvpError);
  });
});

describe('lab/diameter framer', () => {
  it('reassembles messages split across chunks and splits coalesced ones', () => {
    const a = encodeMessage(sample());
    const b = encodeMessage({ ...sample(), hopByHop: 7 });
    const framer = new DiameterFramer();
    const stream = Buffer.concat([a, b]);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 7) out.push(...framer.push(stream.subarray(i, i + 7)));
    assert.equal(out.length, 2);
    assert.deepEqual(decodeMessage(out[0]!), decodeMessage(a));
    assert.equal(decodeMessage(out[1]!).hopByHop, 7);
    assert.equal(framer.bufferedBytes, 0);
    assert.equal(new DiameterFramer().push(stream).length, 2);
  });

  it('throws on a framed length below the header size', () => {
    assert.equal(decodeError(() => new DiameterFramer().push(Buffer.from([1, 0, 0, 8]))).kind, 'bad-message-length');
  });
});
