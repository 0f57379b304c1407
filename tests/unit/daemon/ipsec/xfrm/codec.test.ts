// The codec's parsing half: NLMSG_ERROR, dumped SAs and policies, attributes, addresses.
import assert from 'node:assert/strict';
import { decodeAddress, encodeAddress, AddressError } from '../../../../../daemon/ipsec/xfrm/address.js';
import { IPPROTO_UDP, NLMSG_ERROR, XFRM_MSG_NEWPOLICY } from '../../../../../daemon/ipsec/xfrm/constants.js';
import { errnoName } from '../../../../../daemon/ipsec/xfrm/errno.js';
import { buildMessage, NetlinkParseError, parseError, parseMessages } from '../../../../../daemon/ipsec/xfrm/netlink.js';
import { buildDelPolicyByIndex, buildNewPolicy, parsePolicy } from '../../../../../daemon/ipsec/xfrm/policy.js';
import { buildNewSa, parseSa } from '../../../../../daemon/ipsec/xfrm/state.js';

describe('daemon/ipsec/xfrm codec', () => {
  it('addresses: IPv4, IPv6 (compressed, full, embedded IPv4) both ways; garbage is an AddressError', () => {
    assert.equal(encodeAddress('10.20.0.1').bytes.toString('hex'), '0a140001' + '00'.repeat(12));
    assert.equal(encodeAddress('fd00:20::2').bytes.toString('hex'), 'fd000020' + '00'.repeat(11) + '02');
    assert.equal(encodeAddress('::ffff:10.0.0.1').bytes.toString('hex'), '00'.repeat(10) + 'ffff0a000001');
    for (const a of ['10.20.0.1', 'fd00:20::2', '2001:db8:1:2:3:4:5:6', '::1', 'fe80::1:0:0:2']) {
      const e = encodeAddress(a);
      assert.equal(decodeAddress(e.bytes, e.family), a);
    }
    assert.throws(() => encodeAddress('10.20.0'), AddressError);
  });

  it('NLMSG_ERROR: errno 0 is an ACK, a negative error is the errno, with the request header it answers', () => {
    const err = Buffer.alloc(20);
    err.writeInt32LE(-17, 0);
    err.writeUInt32LE(36, 4);
    err.writeUInt16LE(0x10, 8);
    err.writeUInt32LE(4242, 12);
    const [m] = parseMessages(buildMessage(NLMSG_ERROR, 0, 4242, [err]));
    assert.deepEqual(parseError(m), { errno: 17, request: { type: 0x10, flags: 0, seq: 4242, pid: 0 } });
    assert.equal(errnoName(17), 'EEXIST');
    assert.equal(errnoName(93), 'EPROTONOSUPPORT');
    assert.equal(errnoName(250), 'E#250');
    err.writeInt32LE(0, 0);
    assert.equal(parseError(parseMessages(buildMessage(NLMSG_ERROR, 0, 1, [err]))[0]).errno, 0);
  });

  it('several messages in one datagram; a truncated one is a NetlinkParseError, not a silent drop', () => {
    const a = buildMessage(3, 2, 7, [Buffer.from([1, 2, 3])]); // padded to 20
    const b = buildMessage(3, 2, 8, []);
    const msgs = parseMessages(Buffer.concat([a, b]));
    assert.deepEqual(msgs.map((m) => [m.seq, m.payload.length]), [[7, 3], [8, 0]]);
    assert.throws(() => parseMessages(a.subarray(0, 18)), NetlinkParseError);
  });

  it('a dumped SA reads back (addresses, SPI, reqid, algorithm names) and keeps no key', () => {
    const msg = buildNewSa({
      src: 'fd00:20::1', dst: 'fd00:20::2', spi: 0xabcdef01, reqid: 0x494d0102,
      authName: 'hmac(sha1)', authKey: Buffer.alloc(20, 7), authTruncBits: 96, encName: 'cbc(aes)', encKey: Buffer.alloc(16, 9),
    }, 1);
    const sa = parseSa(parseMessages(msg)[0]);
    assert.deepEqual({ ...sa, selector: undefined }, {
      src: 'fd00:20::1', dst: 'fd00:20::2', spi: 0xabcdef01, proto: 50, reqid: 0x494d0102, mode: 0, replayWindow: 0, family: 10,
      authName: 'hmac(sha1)', encName: 'cbc(aes)', selector: undefined,
    });
    assert.ok(!JSON.stringify(sa).includes('0707'), 'no key in the parsed SA');
  });

  it('a dumped policy reads back (selector, direction, template reqid); delete by index carries index and direction', () => {
    const msg = buildNewPolicy({
      selector: { src: '10.0.0.2', dst: '10.0.0.1', proto: IPPROTO_UDP, sport: 5100, dport: 5201 }, dir: 'in',
      tmpl: { src: '10.0.0.2', dst: '10.0.0.1', reqid: 0x494d0003 },
    }, 1);
    const p = parsePolicy(parseMessages(msg)[0]);
    assert.equal(p.dir, 'in');
    assert.deepEqual([p.selector.src, p.selector.dst, p.selector.sport, p.selector.dport, p.selector.proto, p.selector.prefixlenS],
      ['10.0.0.2', '10.0.0.1', 5100, 5201, 17, 32]);
    assert.deepEqual(p.tmpls, [{ src: '10.0.0.2', dst: '10.0.0.1', proto: 50, reqid: 0x494d0003 }]);
    const del = buildDelPolicyByIndex(0x1234, 1, 5);
    assert.equal(del.readUInt32LE(16 + 56), 0x1234);
    assert.equal(del.readUInt8(16 + 60), 1);
    assert.throws(() => parseSa({ type: XFRM_MSG_NEWPOLICY, flags: 0, seq: 0, pid: 0, payload: msg.subarray(16) }), RangeError);
  });
});
