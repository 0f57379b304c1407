import { strict as assert } from 'node:assert';
import * as A from '../../../../../daemon/auth/sim/pcsc-apdu.js';
import { CardDataError, CardStatusError } from '../../../../../daemon/auth/sim/pcsc-errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A card that answers from a script and records what it was sent. */
function scripted(...answers: string[]): { t: A.Transmit; sent: string[] } {
  const sent: string[] = [];
  const t: A.Transmit = (apdu) => {
    sent.push(apdu.toString('hex'));
    const next = answers.shift();
    if (next === undefined) throw new Error('unexpected command');
    return Promise.resolve(hex(next));
  };
  return { t, sent };
}

describe('PC/SC APDUs (TS 102 221 11.1)', () => {
  it('encodes SELECT by AID and FID, READ BINARY, READ RECORD, GET RESPONSE', () => {
    const isim = hex('a0000000871004ff49ff0589');
    assert.equal(A.selectAid(isim).toString('hex'), '00a404040ca0000000871004ff49ff058900');
    assert.equal(A.reselectAid(isim).toString('hex'), '00a4040c0ca0000000871004ff49ff0589');
    assert.equal(A.selectFid(0x6f02).toString('hex'), '00a40004026f0200');
    assert.equal(A.readBinary(0x0123, 0x20).toString('hex'), '00b0012320');
    assert.equal(A.readBinary(0, 256).toString('hex'), '00b0000000');
    assert.equal(A.readRecord(3, 0x40).toString('hex'), '00b2030440');
    assert.equal(A.getResponse(0x1c).toString('hex'), '00c000001c');
  });

  it('encodes AUTHENTICATE with P2 81 and tag-length RAND and AUTN (TS 31.103 7.1.2)', () => {
    const rand = Buffer.alloc(16, 0x11);
    const autn = Buffer.alloc(16, 0x22);
    const c = A.authenticate(rand, autn);
    assert.equal(c.subarray(0, 5).toString('hex'), '0088008122');
    assert.equal(c[5], 16);
    assert.ok(c.subarray(6, 22).equals(rand));
    assert.equal(c[22], 16);
    assert.ok(c.subarray(23, 39).equals(autn));
    assert.equal(c.length, 40);
    assert.equal(c[39], 0x00);
  });

  it('follows 61xx with GET RESPONSE, also when the card chains 61xx', async () => {
    const { t, sent } = scripted('6104', 'aabbccdd6102', 'eeff9000');
    const r = await A.exchange(t, hex('00a4040c02aaaa00'), 'SELECT');
    assert.equal(r.data.toString('hex'), 'aabbccddeeff');
    assert.equal(r.sw, 0x9000);
    assert.deepEqual(sent.slice(1), ['00c0000004', '00c0000002']);
  });

  it('repeats the command with the Le that 6Cxx gives', async () => {
    const { t, sent } = scripted('6c09', '0102030405060708099000');
    const data = await A.exchangeOk(t, A.readBinary(0, 256), 'READ BINARY');
    assert.equal(data.length, 9);
    assert.deepEqual(sent, ['00b0000000', '00b0000009']);
  });

  it('a status other than 9000 becomes a CardStatusError naming the command and the status word', async () => {
    const { t } = scripted('6982');
    await assert.rejects(A.exchangeOk(t, A.readBinary(0, 4), 'READ BINARY EF_IMPI'), (e: unknown) => {
      assert.ok(e instanceof CardStatusError);
      assert.equal(e.sw, 0x6982);
      assert.equal(e.command, 'READ BINARY EF_IMPI');
      assert.match(e.message, /READ BINARY EF_IMPI.*6982.*security status not satisfied/);
      return true;
    });
  });

  it('91xx (proactive command pending) still counts as success', async () => {
    const { t } = scripted('01029110');
    assert.equal((await A.exchangeOk(t, A.readBinary(0, 2), 'READ BINARY')).toString('hex'), '0102');
  });

  it('rejects a response without a status word and a card that loops on 61xx', async () => {
    await assert.rejects(A.exchange(scripted('90').t, A.readBinary(0, 1), 'READ BINARY'), CardDataError);
    const loop = scripted(...new Array<string>(20).fill('6101'));
    await assert.rejects(A.exchange(loop.t, A.readBinary(0, 1), 'READ BINARY'), /kept answering/);
  });
});
