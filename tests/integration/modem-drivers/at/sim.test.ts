// The SIM over AT against a scripted modem on a pty whose +CRSM/+CCHO/+CGLA/+CSIM are answered by
// the virtual UICC (tests/helpers/vcard) with the soft SIM engine: identities and AUTHENTICATE
// results must equal what the PC/SC SIM code reads from the same card, and the lab HSS's vectors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { authVector, verifyAuts } from '../../../../lab/hss/aka-vectors.js';
import { CardStatusError, ReaderError } from '../../../../daemon/auth/sim/pcsc-errors.js';
import { PcscSim } from '../../../../daemon/auth/sim/pcsc-sim.js';
import { SoftSim } from '../../../../daemon/auth/sim/soft-sim.js';
import { createLogger } from '../../../../daemon/log/logger.js';
import type { AtStreamChannel } from '../../../../modem-drivers/at/channel.js';
import { openSerialChannel } from '../../../../modem-drivers/at/serial.js';
import { AtSim } from '../../../../modem-drivers/at/sim.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';
import { UiccService, type UiccServiceOptions } from '../../../helpers/scripted-modem/uicc-service.js';
import { buildLayout, type CardContent } from '../../../helpers/vcard/card-files.js';
import { isimCard, TEST_DOMAIN, TEST_K, TEST_OPC, TEST_SUBSCRIBER, USIM_CARD } from '../../../helpers/vcard/test-cards.js';
import { VirtualUicc } from '../../../helpers/vcard/virtual-uicc.js';

const K = TEST_K;
const OPC = TEST_OPC;
const sub = TEST_SUBSCRIBER;
const DOMAIN = TEST_DOMAIN;
const ISIM_CARD = isimCard('10.45.0.1');
const RAND = Buffer.from('23553cbe9637a89d218ae64dae47bf35', 'hex');

describe('modem-drivers/at AtSim (+CCHO/+CGLA/+CSIM) on a scripted modem', function () {
  let dir: string;
  let modem: ScriptedModem | undefined;
  let channel: AtStreamChannel | undefined;
  const opened: { close(): Promise<void> }[] = [];
  let logged: string[] = [];

  beforeEach(function () {
    requirePrerequisites(this, [command('python3')]);
    dir = mkdtempSync(join(tmpdir(), 'imsdt-atsim-'));
    logged = [];
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await channel?.close();
    await modem?.stop();
    channel = undefined;
    modem = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function engine(name: string, card: CardContent): Promise<SoftSim> {
    const e = await SoftSim.open({ imsi: card.imsi, mncLength: card.mncLength, k: K, opc: OPC, stateFile: join(dir, `${name}.json`) });
    opened.push(e);
    return e;
  }

  async function start(card: CardContent, options: UiccServiceOptions = {}): Promise<{ sim: AtSim; uicc: UiccService }> {
    const uicc = new UiccService(card, await engine('modem-card', card), options);
    modem = await ScriptedModem.start('sim-only.at', { services: [uicc] });
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (logged.push(c.toString()), cb()) });
    channel = await openSerialChannel({ device: modem.device, timeoutMs: 2000, logger: createLogger({ level: 'debug', stream: sink }) });
    const sim = await AtSim.open({ channel, name: `modem ${modem.device}` });
    opened.unshift(sim);
    return { sim, uicc };
  }

  /** the PC/SC SIM's reading of the same card (its own engine and SQN state) */
  async function pcscReference(card: CardContent): Promise<PcscSim> {
    const uicc = new VirtualUicc(buildLayout(card), await engine('pcsc-card', card));
    const sim = await PcscSim.onLink({ readerName: 'virtual', transmit: (a) => uicc.handle(a), close: () => undefined });
    opened.unshift(sim);
    return sim;
  }

  it('reads the ISIM through a logical channel and authenticates as the PC/SC SIM and the lab HSS expect', async () => {
    const { sim, uicc } = await start(ISIM_CARD);
    const reference = await pcscReference(ISIM_CARD);
    assert.equal(sim.access, '+CGLA');
    assert.equal(sim.application.kind, 'isim');
    assert.deepEqual(await sim.identities(), await reference.identities());
    assert.deepEqual((await sim.identities()).pcscf, [`pcscf.${DOMAIN}`, '10.45.0.1']);
    // every APDU in the logical channel carries its number in CLA (TS 102 221 10.1.1)
    assert.ok(uicc.apdus.length > 5 && uicc.apdus.every((a) => a.channel === 1 && a.apdu.startsWith('01')), JSON.stringify(uicc.apdus.slice(0, 3)));

    const v = authVector(sub, RAND, 0x40n);
    const r = await sim.authenticate(v.rand, v.autn);
    assert.deepEqual(r, { kind: 'ok', res: v.xres, ck: v.ck, ik: v.ik });
    assert.deepEqual(await reference.authenticate(v.rand, v.autn), r);

    // a vector with an SQN the card has seen: AUTS that the HSS accepts (TS 33.102 6.3.5)
    const old = authVector(sub, Buffer.alloc(16, 7), 0x20n);
    const s = await sim.authenticate(old.rand, old.autn);
    assert.equal(s.kind, 'sync-failure');
    const resync = verifyAuts(sub, Buffer.concat([old.rand, s.kind === 'sync-failure' ? s.auts : Buffer.alloc(0)]));
    assert.deepEqual(resync, { ok: true, sqnMs: 0x40n });
    const forged = Buffer.from(v.autn);
    forged[15] ^= 1;
    assert.deepEqual(await sim.authenticate(Buffer.alloc(16, 9), forged), { kind: 'mac-failure', cause: 'mac' });

    // RES, CK and IK never reach the channel's debug log
    const text = logged.join('');
    assert.match(text, /AT\+CGLA=1,\d+,\\"01880081…\\" \(AUTHENTICATE data not logged\)/);
    for (const secret of [v.xres, v.ck, v.ik]) assert.ok(!text.toUpperCase().includes(secret.toString('hex').toUpperCase()), 'a secret in the log');

    await sim.close();
    assert.ok(modem!.commands.includes('AT+CCHC=1'));
    await assert.rejects(sim.identities(), (e: unknown) => e instanceof ReaderError && e.cause === 'closed');
    assert.deepEqual(modem!.mismatches, []);
  });

  it('derives the identities from a USIM-only card (and reads "+CCHO: <id>" answers)', async () => {
    const { sim } = await start(USIM_CARD, { cchoPrefix: true });
    const reference = await pcscReference(USIM_CARD);
    assert.equal(sim.application.kind, 'usim');
    const ids = await sim.identities();
    assert.deepEqual(ids, await reference.identities());
    assert.equal(ids.impi, '310150123456789@ims.mnc150.mcc310.3gppnetwork.org');
  });

  it('falls back to +CSIM on the basic channel when the modem has no logical channels', async () => {
    const { sim, uicc } = await start(ISIM_CARD, { logicalChannels: false });
    const reference = await pcscReference(ISIM_CARD);
    assert.equal(sim.access, '+CSIM');
    assert.deepEqual(await sim.identities(), await reference.identities());
    const v = authVector(sub, RAND, 0x40n);
    assert.deepEqual(await sim.authenticate(v.rand, v.autn), { kind: 'ok', res: v.xres, ck: v.ck, ik: v.ik });
    assert.ok(uicc.apdus.every((a) => a.channel === 0 && a.apdu.startsWith('00')));
  });

  it('finds the ISIM by its AID prefix when +CRSM is refused', async () => {
    const { sim } = await start(ISIM_CARD, { restrictedAccess: false });
    assert.equal(sim.application.kind, 'isim');
    assert.equal((await sim.identities()).impi, `001010000000001@${DOMAIN}`);
  });

  it('types card and modem errors as the PC/SC SIM does, and reopens a lost logical channel', async () => {
    const { sim, uicc } = await start(ISIM_CARD);
    // the modem reset: the logical channel is gone, the SIM opens it again
    uicc.resetChannels();
    const v = authVector(sub, RAND, 0x40n);
    assert.deepEqual(await sim.authenticate(v.rand, v.autn), { kind: 'ok', res: v.xres, ck: v.ck, ik: v.ik });
    assert.ok(modem!.commands.filter((c) => c.startsWith('AT+CCHO=')).length === 2);
    // a status word the card answers AUTHENTICATE with
    uicc.uicc(1)!.force(0x88, 0x6982);
    await assert.rejects(sim.authenticate(Buffer.alloc(16, 1), Buffer.alloc(16, 2)), (e: unknown) => e instanceof CardStatusError && e.sw === 0x6982 && /6982 \(security status not satisfied\)/.test(e.message));
    // the card is pulled out
    uicc.removed = true;
    await assert.rejects(sim.authenticate(v.rand, v.autn), (e: unknown) => e instanceof ReaderError && e.cause === 'no-card' && /\+CME ERROR: 10 \(SIM not inserted\)/.test(e.message));
  });

  it('fails to open with a typed error when the card is absent', async () => {
    const uicc = new UiccService(ISIM_CARD, await engine('absent', ISIM_CARD));
    uicc.removed = true;
    modem = await ScriptedModem.start('sim-only.at', { services: [uicc] });
    channel = await openSerialChannel({ device: modem.device, timeoutMs: 2000 });
    await assert.rejects(AtSim.open({ channel, name: 'modem' }), (e: unknown) => e instanceof ReaderError && e.cause === 'no-card');
  });
});
