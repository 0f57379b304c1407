// PcscSim through the real PC/SC stack: libpcsclite (via npm smartcard) -> an isolated pcscd ->
// vsmartcard's vpcd driver -> TCP -> the virtual UICC (tests/helpers/vcard), whose AUTHENTICATE is
// the soft SIM engine. Network-side vectors and AUTS checks come from the lab HSS code.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { authVector, verifyAuts } from '../../../../../lab/hss/aka-vectors.js';
import { command, file, requirePrerequisites, root } from '../../../../helpers/prereq.js';
import type { CardContent } from '../../../../helpers/vcard/card-files.js';
import { IsolatedPcscd, VPCD_DRIVER, VPCD_PORTS, VPCD_READERS } from '../../../../helpers/vcard/isolated-pcscd.js';
import type { VirtualCardConfig } from '../../../../helpers/vcard/main.js';
import { isimCard, TEST_DOMAIN, TEST_K, TEST_OPC, TEST_SUBSCRIBER, USIM_CARD } from '../../../../helpers/vcard/test-cards.js';

const K = TEST_K;
const OPC = TEST_OPC;
const sub = TEST_SUBSCRIBER;
const DOMAIN = TEST_DOMAIN;
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '../../../../..');

const isimContent = isimCard('192.0.2.10');
const usimContent = USIM_CARD;

/** Debian python3-pyscard: an independent PC/SC client that connects and leaves with a disposition. */
const PYSCARD = '/usr/lib/python3/dist-packages/smartcard/scard/__init__.py';
const PY_CONNECT = String.raw`
import sys
from smartcard.System import readers
from smartcard import scard
reader = [r for r in readers() if str(r) == sys.argv[1]][0]
conn = reader.createConnection()
conn.connect(disposition=getattr(scard, sys.argv[2]))
conn.disconnect()
`;

/** A child process spoken to in JSON lines; everything it prints is kept for the secrecy check. */
class JsonLines {
  readonly output: string[] = [];
  readonly #waiting: ((v: Record<string, unknown>) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.output.push(line);
      this.#waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
    });
    child.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
  }
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`child exited (${code}) before answering: ${this.output.join('\n')}`));
      this.child.once('exit', onExit);
      this.#waiting.push((v) => {
        this.child.off('exit', onExit);
        resolve(v);
      });
    });
  }
  async call(req: object): Promise<Record<string, unknown>> {
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify(req)}\n`);
    return answer;
  }
  stop(): void {
    this.child.stdin!.end();
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

interface ErrorAnswer { name: string; message: string; cause?: string; sw?: number }
const errorOf = (a: Record<string, unknown>): ErrorAnswer => {
  assert.equal(a.ok, false, `expected an error, got ${JSON.stringify(a)}`);
  return a.error as ErrorAnswer;
};

describe('PcscSim through pcscd + vsmartcard vpcd to a virtual ISIM/USIM', function () {
  this.timeout(30_000);
  let pcscd: IsolatedPcscd | undefined;
  const cards: JsonLines[] = [];
  const clients: JsonLines[] = [];
  let client: JsonLines;
  let isimCard: JsonLines;
  let usimCard: JsonLines;
  const errors: ErrorAnswer[] = [];

  async function startCard(p: IsolatedPcscd, slot: 0 | 1, content: CardContent, omitFileSize = false): Promise<JsonLines> {
    const config: VirtualCardConfig = {
      port: VPCD_PORTS[slot], content, options: { omitFileSize },
      softSim: { imsi: content.imsi, mncLength: content.mncLength, k: K, opc: OPC, stateFile: join(p.dir, `sqn-${slot}.json`) },
    };
    const path = join(p.dir, `card-${slot}.json`);
    writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
    const card = new JsonLines(p.spawnInNetns(process.execPath, ['--import', 'tsx', join(REPO, 'tests/helpers/vcard/main.ts'), path], {
      cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'],
    }));
    cards.push(card);
    assert.deepEqual(await card.next(), { event: 'connected' });
    return card;
  }

  function startClient(socket: string): JsonLines {
    const c = new JsonLines(spawn(process.execPath, ['--import', 'tsx', join(HERE, 'pcsc-client.ts')], {
      cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PCSCLITE_CSOCK_NAME: socket },
    }));
    clients.push(c);
    return c;
  }

  async function open(reader: string): Promise<{ handle: number; app: string; identities: Record<string, unknown> }> {
    const a = await client.call({ op: 'open', reader, waitMs: 8000 });
    assert.equal(a.ok, true, JSON.stringify(a));
    return a as unknown as { handle: number; app: string; identities: Record<string, unknown> };
  }

  before(async function () {
    requirePrerequisites(this, [root(), command('pcscd'), command('ip'), command('unshare'), file(VPCD_DRIVER)]);
    pcscd = await IsolatedPcscd.start();
    isimCard = await startCard(pcscd, 0, isimContent);
    usimCard = await startCard(pcscd, 1, usimContent, true);
    client = startClient(pcscd.socket);
  });

  after(async () => {
    for (const c of [...clients, ...cards]) c.stop();
    await pcscd?.stop();
  });

  it('reads the ISIM identities and P-CSCF addresses through pcscd', async () => {
    const s = await open(VPCD_READERS[0]);
    assert.equal(s.app, 'isim');
    assert.deepEqual(s.identities, {
      impi: `001010000000001@${DOMAIN}`, impus: [`sip:+15550001@${DOMAIN}`, 'tel:+15550001'], homeDomain: DOMAIN,
      pcscf: [`pcscf.${DOMAIN}`, '192.0.2.10'], source: 'isim',
    });
  });

  it('derives the identities of a USIM-only card from EF_IMSI and EF_AD (file sizes learnt via 6Cxx)', async () => {
    const s = await open(VPCD_READERS[1]);
    assert.equal(s.app, 'usim');
    const d = 'ims.mnc150.mcc310.3gppnetwork.org';
    assert.deepEqual(s.identities, { impi: `310150123456789@${d}`, impus: [`sip:310150123456789@${d}`], homeDomain: d, pcscf: [], imsi: '310150123456789', source: 'usim' });
  });

  it('AUTHENTICATE: ok matches the HSS vector, a replay gives an AUTS the HSS verifies, a bad MAC is mac-failure', async () => {
    const { handle } = await open(VPCD_READERS[0]);
    const sqn = 7n * 32n + 3n;
    const v = authVector(sub, randomBytes(16), sqn);
    const auth = (rand: Buffer, autn: Buffer): Promise<Record<string, unknown>> => client.call({ op: 'auth', handle, rand: rand.toString('hex'), autn: autn.toString('hex') });

    const ok = await auth(v.rand, v.autn);
    const r = ok.result as { kind: string; res: string; ck: string; ik: string };
    assert.equal(r.kind, 'ok');
    assert.ok(r.res === v.xres.toString('hex') && r.ck === v.ck.toString('hex') && r.ik === v.ik.toString('hex'), 'RES, CK, IK match the vector');

    const replay = (await auth(v.rand, v.autn)).result as { kind: string; auts: string };
    assert.equal(replay.kind, 'sync-failure');
    assert.deepEqual(verifyAuts(sub, Buffer.concat([v.rand, Buffer.from(replay.auts, 'hex')])), { ok: true, sqnMs: sqn });

    const bad = authVector(sub, randomBytes(16), sqn + 32n);
    bad.autn[10]! ^= 0x40;
    assert.deepEqual((await auth(bad.rand, bad.autn)).result, { kind: 'mac-failure', cause: 'mac' });
  });

  it('card status words come back as CardStatusError with the status word', async () => {
    const { handle } = await open(VPCD_READERS[0]);
    const v = authVector(sub, randomBytes(16), 9n * 32n);
    for (const [ins, sw, cmd] of [[0x88, 0x6982, 'AUTHENTICATE'], [0x88, 0x6985, 'AUTHENTICATE'], [0xa4, 0x6a82, 'SELECT ISIM']] as const) {
      assert.deepEqual(await isimCard.call({ cmd: 'force', ins, sw }), { event: 'ok' });
      const e = errorOf(await client.call({ op: 'auth', handle, rand: v.rand.toString('hex'), autn: v.autn.toString('hex') }));
      errors.push(e);
      assert.equal(e.name, 'CardStatusError');
      assert.equal(e.sw, sw);
      assert.match(e.message, new RegExp(`${cmd} with status ${sw.toString(16).toUpperCase()}`));
    }
  });

  it('a reader that does not exist is ReaderError no-reader; a pcscd that is not there is no-service', async () => {
    const e = errorOf(await client.call({ op: 'open', reader: 'No Such Reader 99' }));
    errors.push(e);
    assert.equal(e.name, 'ReaderError');
    assert.equal(e.cause, 'no-reader');
    assert.match(e.message, /no PC\/SC reader named "No Such Reader 99" \(readers: "Virtual PCD 00 00", "Virtual PCD 00 01"\)/);

    const orphan = startClient(join(pcscd!.dir, 'no-such-pcscd.comm'));
    const e2 = errorOf(await orphan.call({ op: 'open' }));
    errors.push(e2);
    assert.equal(e2.name, 'ReaderError');
    assert.equal(e2.cause, 'no-service');

    // libpcsclite fixed its socket at the first call: another socket in the same process is refused
    const e3 = errorOf(await orphan.call({ op: 'open', socket: pcscd!.socket }));
    errors.push(e3);
    assert.equal(e3.name, 'ReaderError');
    assert.equal(e3.cause, 'io');
    assert.match(e3.message, /libpcsclite cannot switch to/);
  });

  it('survives another client unpowering the card: reconnects with a reset and leaves it usable for others', async function () {
    requirePrerequisites(this, [file('/usr/bin/python3'), file(PYSCARD)]);
    const { handle } = await open(VPCD_READERS[0]);
    const pyscard = (disposition: string): { status: number | null; stderr: string } =>
      spawnSync('/usr/bin/python3', ['-c', PY_CONNECT, VPCD_READERS[0], disposition], { encoding: 'utf8', env: { ...process.env, PCSCLITE_CSOCK_NAME: pcscd!.socket } });
    assert.equal(pyscard('SCARD_UNPOWER_CARD').status, 0);
    const v = authVector(sub, randomBytes(16), 11n * 32n);
    const r = (await client.call({ op: 'auth', handle, rand: v.rand.toString('hex'), autn: v.autn.toString('hex') })).result as { kind: string; res: string };
    assert.equal(r.kind, 'ok');
    assert.equal(r.res, v.xres.toString('hex'));
    const again = pyscard('SCARD_LEAVE_CARD');
    assert.equal(again.status, 0, again.stderr);
  });

  it('removing the card (the virtual card process dies) makes the next AUTHENTICATE a ReaderError removed, and a new open no-card', async () => {
    const { handle } = await open(VPCD_READERS[1]);
    const v = authVector(sub, randomBytes(16), 32n);
    const gone = new Promise((r) => usimCard.child.once('exit', r));
    usimCard.child.kill('SIGKILL');
    await gone;
    const e = errorOf(await client.call({ op: 'auth', handle, rand: v.rand.toString('hex'), autn: v.autn.toString('hex') }));
    errors.push(e);
    assert.equal(e.name, 'ReaderError');
    assert.equal(e.cause, 'removed', e.message);
    assert.match(e.message, /Virtual PCD 00 01/);

    const empty = errorOf(await client.call({ op: 'open', reader: VPCD_READERS[1] }));
    errors.push(empty);
    assert.equal(empty.name, 'ReaderError');
    assert.equal(empty.cause, 'no-card');
  });

  it('K, OPc, CK, IK and RES appear in no error message and no process output except the RES/CK/IK answers themselves', () => {
    assert.ok(errors.length >= 8, 'the error tests ran');
    const outputs = [...cards.flatMap((c) => c.output), ...clients.flatMap((c) => c.output.filter((l) => !l.includes('"result":{"kind":"ok"')))];
    const text = [...errors.map((e) => e.message), ...outputs, pcscd!.log].join('\n').toLowerCase();
    const okAnswers = clients.flatMap((c) => c.output).filter((l) => l.includes('"result":{"kind":"ok"'));
    assert.ok(okAnswers.length >= 1);
    const secrets: [string, string][] = [['K', K], ['OPc', OPC]];
    for (const line of okAnswers) {
      const r = (JSON.parse(line) as { result: { res: string; ck: string; ik: string } }).result;
      secrets.push(['RES', r.res], ['CK', r.ck], ['IK', r.ik]);
    }
    for (const [name, hex] of secrets) assert.ok(!text.includes(hex.toLowerCase()), `${name} leaked`);
  });
});
