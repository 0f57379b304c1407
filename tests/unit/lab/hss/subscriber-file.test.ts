import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLabSubscribers } from '../../../../lab/hss/default-subscribers.js';
import { HssConfigError } from '../../../../lab/hss/errors.js';
import { SubscriberFile, parseSubscribers } from '../../../../lab/hss/subscriber-file.js';

const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';

describe('lab/hss subscribers file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'imsdt-subs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('derives IMPI and IMPUs (TS 23.003 13.3/13.4) and indexes both', () => {
    const path = join(dir, 's.json');
    writeFileSync(path, JSON.stringify(defaultLabSubscribers()));
    const file = new SubscriberFile(path, DOMAIN);
    assert.equal(file.size, 3);
    const s = file.byImpi(`001010000000002@${DOMAIN}`)!;
    assert.deepEqual(s.impus, [`sip:001010000000002@${DOMAIN}`, `sip:+15550002@${DOMAIN}`, 'tel:+15550002']);
    assert.equal(file.byImpu('tel:+15550003')!.imsi, '001010000000003');
    assert.equal(file.byImpu('tel:+15550009'), undefined);
  });

  it('writes SQN back keeping the other fields and the form (hex string or number)', () => {
    const path = join(dir, 's.json');
    const entries = [{ ...defaultLabSubscribers()[0]!, sqn: 5, note: 'kept' }];
    writeFileSync(path, JSON.stringify(entries));
    const file = new SubscriberFile(path, DOMAIN);
    file.setSqn('001010000000001', 0x41n);
    const back = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
    assert.deepEqual(back, [{ ...entries[0], sqn: 0x41 }]);
    writeFileSync(path, JSON.stringify(defaultLabSubscribers()));
    file.setSqn('001010000000002', 0xff9bb4d0b607n); // re-reads the edited file first
    const again = JSON.parse(readFileSync(path, 'utf8')) as { sqn: string }[];
    assert.deepEqual(again.map((e) => e.sqn), ['000000000000', 'ff9bb4d0b607', '000000000000']);
  });

  it('keeps the previous contents when an edit is malformed', () => {
    const path = join(dir, 's.json');
    writeFileSync(path, JSON.stringify(defaultLabSubscribers()));
    const file = new SubscriberFile(path, DOMAIN);
    writeFileSync(path, '[{"imsi": "0010100000000');
    assert.throws(() => file.load(), HssConfigError);
    assert.equal(file.size, 3);
  });

  it('rejects bad entries with errors naming the field, never the value', () => {
    const base = defaultLabSubscribers()[0]!;
    const cases: [unknown, RegExp][] = [
      [{}, /must hold a JSON array/],
      [[{ ...base, imsi: '12' }], /imsi must be 5-15 digits/],
      [[{ ...base, opc: 'zz' }], /opc must be 32 hex digits/],
      [[{ ...base, amf: '80' }], /amf must be 4 hex digits/],
      [[{ ...base, sqn: '1000000000000' }], /sqn must be up to 12 hex digits/],
      [[{ ...base, sqn: -1 }], /sqn must be/],
      [[{ ...base, msisdn: 'abc' }], /msisdn/],
      [[base, base], /appears twice/],
    ];
    for (const [json, re] of cases) {
      assert.throws(() => parseSubscribers(JSON.stringify(json), DOMAIN), (e: unknown) => e instanceof HssConfigError && re.test(e.message) && !e.message.includes(base.k));
    }
  });
});
