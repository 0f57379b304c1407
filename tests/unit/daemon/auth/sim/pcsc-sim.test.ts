// PcscSim over an in-process virtual UICC (no pcscd): application discovery, identities from the
// ISIM or derived from the USIM, AUTHENTICATE against vectors computed network-side (lab/hss),
// status-word errors and secrecy. The same card behind a real pcscd: tests/integration/.../pcsc-sim.test.ts.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AuthInputError } from '../../../../../daemon/auth/errors.js';
import { CardDataError, CardStatusError, NoImsApplicationError, ReaderError } from '../../../../../daemon/auth/sim/pcsc-errors.js';
import { PcscSim, type ApduLink } from '../../../../../daemon/auth/sim/pcsc-sim.js';
import { SoftSim } from '../../../../../daemon/auth/sim/soft-sim.js';
import { authVector, verifyAuts } from '../../../../../lab/hss/aka-vectors.js';
import { buildLayout, type CardContent, type CardLayout } from '../../../../helpers/vcard/card-files.js';
import { VirtualUicc, type VirtualUiccOptions } from '../../../../helpers/vcard/virtual-uicc.js';

const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const sub = { k: Buffer.from(K, 'hex'), opc: Buffer.from(OPC, 'hex'), amf: Buffer.from('8000', 'hex') };
const DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';
const IMSI = '001010000000001';

const isimCard: CardContent = {
  imsi: IMSI,
  mncLength: 2,
  isim: {
    impi: `${IMSI}@${DOMAIN}`,
    domain: DOMAIN,
    impus: [`sip:+15550001@${DOMAIN}`, 'tel:+15550001'],
    pcscf: [{ type: 'fqdn', address: `pcscf.${DOMAIN}` }, { type: 'ipv4', address: '192.0.2.10' }, { type: 'ipv6', address: '2001:db8::10' }],
  },
};

class Link implements ApduLink {
  readonly readerName = 'in-process';
  closed = false;
  constructor(readonly card: VirtualUicc) {}
  transmit(apdu: Buffer): Promise<Buffer> {
    return this.card.handle(apdu);
  }
  close(): void {
    this.closed = true;
  }
}

describe('PcscSim over a virtual UICC (in process)', () => {
  let dir: string;
  let n = 0;

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'imsdt-pcscsim-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function card(content: CardContent, options?: VirtualUiccOptions, layout?: CardLayout): Promise<{ link: Link; uicc: VirtualUicc }> {
    const engine = await SoftSim.open({ imsi: content.imsi, mncLength: content.mncLength, k: K, opc: OPC, stateFile: join(dir, `sqn${n++}.json`) });
    const uicc = new VirtualUicc(layout ?? buildLayout(content), engine, options);
    return { link: new Link(uicc), uicc };
  }

  it('reads the ISIM identities and P-CSCF list', async () => {
    const { link } = await card(isimCard);
    const sim = await PcscSim.onLink(link);
    assert.equal(sim.application.kind, 'isim');
    assert.deepEqual(await sim.identities(), {
      impi: `${IMSI}@${DOMAIN}`,
      impus: [`sip:+15550001@${DOMAIN}`, 'tel:+15550001'],
      homeDomain: DOMAIN,
      pcscf: [`pcscf.${DOMAIN}`, '192.0.2.10', '2001:db8:0:0:0:0:0:10'],
      source: 'isim',
    });
  });

  it('skips EF_P-CSCF when the ISIM service table does not offer service 1', async () => {
    const { link, uicc } = await card({ ...isimCard, isim: { ...isimCard.isim!, ist: '00' } });
    const sim = await PcscSim.onLink(link);
    assert.deepEqual((await sim.identities()).pcscf, []);
    assert.ok(uicc.journal.every((j) => j.sw !== 0x6a82));
  });

  it('a USIM-only card gives identities derived from EF_IMSI and EF_AD (TS 23.003 13)', async () => {
    const { link } = await card({ imsi: '310150123456789', mncLength: 3 });
    const sim = await PcscSim.onLink(link);
    assert.equal(sim.application.kind, 'usim');
    const d = 'ims.mnc150.mcc310.3gppnetwork.org';
    assert.deepEqual(await sim.identities(), {
      impi: `310150123456789@${d}`, impus: [`sip:310150123456789@${d}`], homeDomain: d, pcscf: [], imsi: '310150123456789', source: 'usim',
    });
  });

  it('learns file sizes from 6Cxx when the FCP has none, and reads 61xx responses with GET RESPONSE', async () => {
    const { link, uicc } = await card(isimCard, { omitFileSize: true });
    const sim = await PcscSim.onLink(link);
    assert.equal((await sim.identities()).impi, `${IMSI}@${DOMAIN}`);
    assert.ok(uicc.journal.some((j) => j.ins === 0xb0 && j.sw >> 8 === 0x6c), 'READ BINARY answered 6Cxx');
    assert.ok(uicc.journal.some((j) => j.ins === 0xc0 && j.sw === 0x9000), 'GET RESPONSE used');
  });

  it('authenticates: RES/CK/IK match the network-side vector; a replay gives an AUTS the HSS accepts', async () => {
    const { link } = await card(isimCard);
    const sim = await PcscSim.onLink(link);
    const v = authVector(sub, randomBytes(16), 5n * 32n + 1n);
    const ok = await sim.authenticate(v.rand, v.autn);
    assert.equal(ok.kind, 'ok');
    if (ok.kind !== 'ok') return;
    assert.ok(ok.res.equals(v.xres) && ok.ck.equals(v.ck) && ok.ik.equals(v.ik), 'RES, CK, IK match the vector');

    const again = await sim.authenticate(v.rand, v.autn);
    assert.equal(again.kind, 'sync-failure');
    if (again.kind !== 'sync-failure') return;
    assert.deepEqual(verifyAuts(sub, Buffer.concat([v.rand, again.auts])), { ok: true, sqnMs: 5n * 32n + 1n });
  });

  it('a wrong MAC is a mac-failure (card status 9862)', async () => {
    const { link, uicc } = await card(isimCard);
    const sim = await PcscSim.onLink(link);
    const v = authVector(sub, randomBytes(16), 64n);
    v.autn[15]! ^= 1;
    assert.deepEqual(await sim.authenticate(v.rand, v.autn), { kind: 'mac-failure', cause: 'mac' });
    assert.equal(uicc.journal.at(-1)!.sw, 0x9862);
  });

  it('card status words become CardStatusErrors naming the command and the status word', async () => {
    const { link, uicc } = await card(isimCard);
    const sim = await PcscSim.onLink(link);
    const v = authVector(sub, randomBytes(16), 96n);
    for (const [ins, sw, command] of [[0x88, 0x6982, 'AUTHENTICATE'], [0x88, 0x6985, 'AUTHENTICATE'], [0xa4, 0x6a82, 'SELECT ISIM']] as const) {
      uicc.force(ins, sw);
      await assert.rejects(sim.authenticate(v.rand, v.autn), (e: unknown) => {
        assert.ok(e instanceof CardStatusError, String(e));
        assert.equal(e.sw, sw);
        assert.equal(e.command, command);
        return true;
      });
    }
    // the card still works afterwards
    assert.equal((await sim.authenticate(v.rand, v.autn)).kind, 'ok');
  });

  it('opening fails with a typed error and closes the link: 6A82 on EF_IMPI, no ISIM/USIM', async () => {
    const a = await card(isimCard);
    a.uicc.force(0xa4, 0x6982, 1); // SELECT MF refused
    await assert.rejects(PcscSim.onLink(a.link), (e: unknown) => e instanceof CardStatusError && e.sw === 0x6982 && e.command === 'SELECT MF');
    assert.ok(a.link.closed);

    const layout = buildLayout(isimCard);
    layout.applications[1]!.files.delete(0x6f02);
    const b = await card(isimCard, {}, layout);
    await assert.rejects(PcscSim.onLink(b.link), (e: unknown) => e instanceof CardStatusError && e.sw === 0x6a82 && e.command === 'SELECT EF_IMPI');

    const empty = buildLayout(isimCard);
    empty.mf.set(0x2f00, { structure: 'linear-fixed', recordLength: 4, records: [Buffer.alloc(4, 0xff)] });
    const c = await card(isimCard, {}, empty);
    await assert.rejects(PcscSim.onLink(c.link), NoImsApplicationError);

    const noImpu = await card({ ...isimCard, isim: { ...isimCard.isim!, impus: [''] } });
    await assert.rejects(PcscSim.onLink(noImpu.link), (e: unknown) => e instanceof CardDataError && /EF_IMPU holds no public identity/.test(e.message));
  });

  it('rejects wrong RAND/AUTN lengths, and every call after close', async () => {
    const { link } = await card(isimCard);
    const sim = await PcscSim.onLink(link);
    await assert.rejects(sim.authenticate(Buffer.alloc(15), Buffer.alloc(16)), AuthInputError);
    await sim.close();
    await sim.close();
    assert.ok(link.closed);
    await assert.rejects(sim.identities(), (e: unknown) => e instanceof ReaderError && e.cause === 'closed');
    await assert.rejects(sim.authenticate(Buffer.alloc(16), Buffer.alloc(16)), (e: unknown) => e instanceof ReaderError && e.cause === 'closed');
  });

  it('keeps K, OPc, CK, IK and RES out of errors, inspect() and JSON', async () => {
    const { link, uicc } = await card(isimCard);
    const sim = await PcscSim.onLink(link);
    const v = authVector(sub, randomBytes(16), 128n);
    const texts: string[] = [];
    const ok = await sim.authenticate(v.rand, v.autn);
    assert.equal(ok.kind, 'ok');
    uicc.force(0x88, 0x6982);
    await sim.authenticate(v.rand, v.autn).catch((e: Error) => texts.push(e.message, e.stack ?? '', inspect(e)));
    // a card that garbles its answer: DB with a truncated IK
    const garbled = new Link({ handle: async (a: Buffer) => (a[1] === 0x88 ? Buffer.concat([Buffer.from([0xdb, 8]), v.xres, Buffer.from([16]), v.ck, Buffer.from([16]), v.ik.subarray(0, 4), Buffer.from([0x90, 0x00])]) : uicc.handle(a)) } as unknown as VirtualUicc);
    const sim2 = await PcscSim.onLink(garbled);
    await sim2.authenticate(v.rand, v.autn).catch((e: Error) => texts.push(e.message, inspect(e)));
    texts.push(inspect(sim), JSON.stringify(sim), inspect(sim2));
    assert.equal(texts.length, 8);
    const all = texts.join('\n').toLowerCase();
    for (const [name, secret] of [['K', sub.k], ['OPc', sub.opc], ['CK', v.ck], ['IK', v.ik], ['RES', v.xres]] as const) {
      assert.ok(!all.includes(secret.toString('hex')), `${name} leaked`);
      assert.ok(!all.includes(secret.toString('base64').toLowerCase()), `${name} leaked (base64)`);
    }
  });
});
