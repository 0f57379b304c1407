// Byte strings written by hand from TS 102 221 / TS 31.102 / TS 31.103, not by the virtual card's encoders.
import { strict as assert } from 'node:assert';
import { CardDataError } from '../../../../../daemon/auth/sim/pcsc-errors.js';
import {
  hasPrefix, ISIM_AID_PREFIX, parseDirRecord, parseFcp, parseImsi, parseMncLength, parsePcscfRecord,
  parseTlv80String, serviceAvailable, USIM_AID_PREFIX,
} from '../../../../../daemon/auth/sim/pcsc-uicc-files.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

describe('UICC file parsers', () => {
  it('EF_DIR: application template 61 with AID 4F and label 50; erased records are skipped', () => {
    const rec = hex(`61 17 4f 0c a0000000871004ff49ff0589 50 07 ${ascii('ISIM IMS')} ffff`.replace(/50 07/, '50 08'));
    const e = parseDirRecord(hex(`61 18 4f 0c a0000000871004ff49ff0589 50 08 ${ascii('ISIM IMS')} ffff`));
    assert.ok(e && hasPrefix(e.aid, ISIM_AID_PREFIX) && !hasPrefix(e.aid, USIM_AID_PREFIX));
    assert.equal(e.label, 'ISIM IMS');
    assert.equal(parseDirRecord(hex('ffffffffffff')), null);
    assert.throws(() => parseDirRecord(hex('6203 4f0101')), CardDataError);
    assert.throws(() => parseDirRecord(hex('6104 5002 4142')), /no valid AID/);
    assert.throws(() => parseDirRecord(rec.subarray(0, 10)), /overruns/);
  });

  it('FCP: transparent EF size, linear fixed record length and count (TS 102 221 11.1.1.3)', () => {
    assert.deepEqual(parseFcp(hex('62 0f 82 02 4121 83 02 6f02 80 02 0040 8a 01 05')), { structure: 'transparent', size: 64 });
    assert.deepEqual(parseFcp(hex('62 0f 82 05 422100 2604 83 02 6f04 80 02 0098')), {
      structure: 'linear-fixed', recordLength: 0x26, records: 4, size: 0x98,
    });
    assert.deepEqual(parseFcp(hex('62 04 82 02 4121')), { structure: 'transparent' });
    assert.throws(() => parseFcp(hex('6f 02 8202')), /not an FCP/);
    assert.throws(() => parseFcp(hex('62 03 8001 00')), /no file descriptor/);
  });

  it('EF_IMPI / EF_DOMAIN / EF_IMPU: TLV 80 with a UTF-8 string, padding ignored (TS 31.103 4.2.2-4.2.4)', () => {
    assert.equal(parseTlv80String(hex(`80 0a ${ascii('a@ims.test')} ffffff`), 'EF_IMPI'), 'a@ims.test');
    assert.equal(parseTlv80String(hex(`80 0d ${ascii('tel:+15550001')}`), 'EF_IMPU'), 'tel:+15550001');
    assert.equal(parseTlv80String(hex('ffffffff'), 'EF_IMPU'), null);
    assert.equal(parseTlv80String(hex('8000ffff'), 'EF_IMPU'), null);
    assert.throws(() => parseTlv80String(hex(`81 03 ${ascii('abc')}`), 'EF_IMPI'), /EF_IMPI does not start with tag 80/);
    assert.throws(() => parseTlv80String(hex('80 03 610a62'), 'EF_DOMAIN'), /malformed string/);
    assert.throws(() => parseTlv80String(hex('80 10 6162'), 'EF_DOMAIN'), /overruns/);
  });

  it('EF_P-CSCF: address type 00 FQDN, 01 IPv4, 02 IPv6 (TS 31.103 4.2.8)', () => {
    assert.equal(parsePcscfRecord(hex(`80 0f 00 ${ascii('pcscf.ims.test')} ffff`)), 'pcscf.ims.test');
    assert.equal(parsePcscfRecord(hex('80 05 01 0a000001')), '10.0.0.1');
    assert.equal(parsePcscfRecord(hex(`80 09 01 ${ascii('10.0.0.2')}`)), '10.0.0.2');
    assert.equal(parsePcscfRecord(hex('80 11 02 20010db8000000000000000000000001')), '2001:db8:0:0:0:0:0:1');
    assert.equal(parsePcscfRecord(hex('ffffffffff')), null);
    assert.throws(() => parsePcscfRecord(hex('80 03 07 4142')), /unknown address type 7/);
    assert.throws(() => parsePcscfRecord(hex(`80 04 01 ${ascii('1.2')}`)), /IPv4 address is malformed/);
    assert.throws(() => parsePcscfRecord(hex('80 03 00 0a0d')), /malformed address/);
  });

  it('EF_IST: service n is bit (n-1)%8 of byte (n-1)/8, b1 first', () => {
    const ist = hex('0180');
    assert.equal(serviceAvailable(ist, 1), true);
    assert.equal(serviceAvailable(ist, 2), false);
    assert.equal(serviceAvailable(ist, 16), true);
    assert.equal(serviceAvailable(ist, 17), false);
  });

  it('EF_AD: MNC length in byte 4, b4..b1 (TS 31.102 4.2.18)', () => {
    assert.equal(parseMncLength(hex('00000002')), 2);
    assert.equal(parseMncLength(hex('80000003ff')), 3);
    assert.throws(() => parseMncLength(hex('000000')), /no MNC length/);
    assert.throws(() => parseMncLength(hex('00000004')), /MNC length of 4/);
  });

  it('EF_IMSI: length, parity nibble, BCD digits low nibble first (TS 31.102 4.2.2)', () => {
    // 001010123456789: 15 digits (odd) -> type nibble 9
    assert.equal(parseImsi(hex('08 09 10 10 10 32 54 76 98')), '001010123456789');
    // 14 digits (even) -> type nibble 1 and an F filler
    assert.equal(parseImsi(hex('08 01 10 10 10 32 54 76 f8')), '00101012345678');
    assert.throws(() => parseImsi(hex('08 01 10 10 10 32 54 76 98')), /parity/);
    assert.throws(() => parseImsi(hex('08 0a 10 10 10 32 54 76 98')), /type nibble/);
    assert.throws(() => parseImsi(hex('09 09 10')), /length byte/);
    assert.throws(() => parseImsi(hex('08 09 10 10 1a 32 54 76 98')), /non-decimal/);
  });
});
