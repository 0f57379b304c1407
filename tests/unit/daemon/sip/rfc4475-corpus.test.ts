// The RFC 4475 torture corpus, byte-exact, from tests/fixtures/rfc4475/<name>.dat
// (recreate with `npx tsx tests/fixtures/rfc4475/extract.ts rfc4475.txt`).
// 3.1.1 must parse (and round-trip), 3.1.2 must throw SipParseError, 3.2-3.4 must parse.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildErrorResponse } from '../../../../daemon/sip/bad-request.js';
import { parseMessage, SipParseError } from '../../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../../daemon/sip/serializer.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/rfc4475');

/** SHA-256 of the 3.1.1 messages as decoded from RFC 4475 Appendix A. */
const VALID: Record<string, string> = {
  wsinv: 'd6f6cdee99cd0a1f8e3d9a0fdd67c877700e19ab86d8186dada06f61260e3e61',
  intmeth: 'b957a8292c1c0a9851fe94705b90f94320738f43aacde64998e401f742ef688d',
  esc01: 'be3a316d4ce5f69cad474646191e390dd4b50fc8371e44b5197fe1237781973e',
  escnull: '263fe2ecd12a5ccbb6c67b3174e9211d11da9b600e7d69666a86d2ee42873e90',
  esc02: '9a9c59449f00327b02071feafc8e5c2a261c98c818044167894cc17809a12199',
  lwsdisp: 'd1b36b6316c12824f6f04bf6b1fd1f021cade9b74871693b9c3474cd9fa7f4e6',
  longreq: '185739292bc676760e5b1cca77c87705aa570240171c506ad76f8c35af0ecdaa',
  dblreq: 'a6be48426565c2a705389c4ce2ea17e57b891cb13f80490a2cb9392c797b46ef',
  semiuri: '87bbaed6b4b354dbd3c5c7a20e66686303c63e43a0aa19b89de1ac75231611a2',
  transports: '33b4553a3b9418121b099ff07882535151edd6a1e81898c63a916aad2cbf90bc',
  mpart01: '92147c8e24997bac59629e1b163767697d0d6d499af87f89e325d69968bec3ba',
  unreason: '4f939d6ebf4817eea70f011d3209e83732872ffc20ffd304b244084dc392f4d7',
  noreason: '07e11e470a69fffa3674de805e5165d1351a9439a91045ee70c9570ea24ab4fe',
};

/** 3.1.2 invalid messages, with the status a UAS answers. */
const INVALID: Record<string, 400 | 505> = {
  badinv01: 400, clerr: 400, ncl: 400, scalar02: 400, scalarlg: 400, quotbal: 400, ltgtruri: 400,
  lwsruri: 400, lwsstart: 400, trws: 400, escruri: 400, baddate: 400, regbadct: 400, badaspec: 400,
  baddn: 400, badvers: 505, mismatch01: 400, mismatch02: 400, bigcode: 400,
};

/** 3.2-3.4: syntactically valid, semantics left to the transaction/application layers. */
const SEMANTIC = [
  'badbranch', 'insuf', 'unkscm', 'novelsc', 'unksm2', 'bext01', 'invut', 'regaut01', 'multi01', 'mcl01',
  'bcast', 'zeromf', 'cparam01', 'cparam02', 'regescrt', 'sdp01', 'inv2543',
];

describe('RFC 4475 torture corpus', function () {
  const load = (name: string): Buffer => readFileSync(join(DIR, `${name}.dat`));

  describe('3.1.1 valid messages parse and round-trip', () => {
    for (const [name, sha] of Object.entries(VALID)) {
      it(name, () => {
        const data = load(name);
        assert.equal(createHash('sha256').update(data).digest('hex'), sha, 'fixture bytes differ from the RFC');
        const msg = parseMessage(data);
        const again = parseMessage(serializeMessage(msg));
        assert.deepEqual([...again.headers].filter((h) => h.name !== 'Content-Length'), [...msg.headers].filter((h) => h.name !== 'Content-Length'));
        assert.ok(again.body.equals(msg.body));
      });
    }
  });

  describe('3.1.2 invalid messages throw SipParseError', () => {
    for (const [name, status] of Object.entries(INVALID)) {
      it(name, () => {
        const data = load(name);
        assert.throws(() => parseMessage(data), (e: unknown) => e instanceof SipParseError && e.status === status);
        let err: SipParseError | undefined;
        try {
          parseMessage(data);
        } catch (e) {
          err = e as SipParseError;
        }
        const res = buildErrorResponse(data, err as SipParseError);
        if (name === 'bigcode' || name === 'scalarlg') assert.equal(res, undefined, 'a response is never answered');
        else {
          assert.equal(res?.status, status);
          // the error response itself must be a valid message
          parseMessage(serializeMessage(res!), { lenient: true });
        }
      });
    }
  });

  describe('3.2-3.4 parse and are left to the application layer', () => {
    for (const name of SEMANTIC) {
      it(name, () => {
        const msg = parseMessage(load(name));
        assert.ok(msg.headers.size > 0);
      });
    }
  });
});
