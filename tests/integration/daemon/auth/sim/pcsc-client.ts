// The PC/SC side of the integration test, in its own process: libpcsclite takes the pcscd socket
// from PCSCLITE_CSOCK_NAME once per process, so the test's isolated pcscd is reached from a child
// started with that variable. JSON lines on stdin, one JSON answer per line on stdout:
//   {"op":"open","reader":"...","socket":"...","waitMs":5000}  -> {"ok":true,"handle":1,"app":"isim","identities":{...}}
//   {"op":"auth","handle":1,"rand":"<hex>","autn":"<hex>"} -> {"ok":true,"result":{"kind":"ok","res":"<hex>",...}}
//   {"op":"close","handle":1}
// Failures answer {"ok":false,"error":{"name","message","cause","sw"}}.
import { createInterface } from 'node:readline';
import { ReaderError } from '../../../../../daemon/auth/sim/pcsc-errors.js';
import { PcscSim } from '../../../../../daemon/auth/sim/pcsc-sim.js';

interface Request {
  op: 'open' | 'auth' | 'close';
  reader?: string;
  socket?: string;
  waitMs?: number;
  handle?: number;
  rand?: string;
  autn?: string;
}

const sims = new Map<number, PcscSim>();
let nextHandle = 1;

async function openWaiting(reader: string | undefined, socket: string | undefined, waitMs: number): Promise<PcscSim> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await PcscSim.open({ ...(reader !== undefined ? { reader } : {}), ...(socket !== undefined ? { socket } : {}) });
    } catch (e) {
      // vpcd shows the reader, then the card, a moment after the virtual card connects
      const waiting = e instanceof ReaderError && (e.cause === 'no-reader' || e.cause === 'no-card');
      if (!waiting || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function run(req: Request): Promise<object> {
  switch (req.op) {
    case 'open': {
      const sim = await openWaiting(req.reader, req.socket, req.waitMs ?? 0);
      const handle = nextHandle++;
      sims.set(handle, sim);
      return { handle, app: sim.application.kind, reader: sim.readerName, identities: await sim.identities() };
    }
    case 'auth': {
      const r = await sims.get(req.handle!)!.authenticate(Buffer.from(req.rand!, 'hex'), Buffer.from(req.autn!, 'hex'));
      const hex = (b: Buffer): string => b.toString('hex');
      return { result: r.kind === 'ok' ? { kind: r.kind, res: hex(r.res), ck: hex(r.ck), ik: hex(r.ik) } : r.kind === 'sync-failure' ? { kind: r.kind, auts: hex(r.auts) } : r };
    }
    case 'close':
      await sims.get(req.handle!)?.close();
      sims.delete(req.handle!);
      return {};
  }
}

// Requests run one after the other, in order.
let chain: Promise<void> = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    chain = chain.then(async () => {
      let answer: object;
      try {
        answer = { ok: true, ...(await run(JSON.parse(line) as Request)) };
      } catch (e) {
        const err = e as Error & { cause?: unknown; sw?: number };
        answer = { ok: false, error: { name: err.name, message: err.message, cause: typeof err.cause === 'string' ? err.cause : undefined, sw: err.sw } };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    });
  })
  .on('close', () => {
    void chain.then(async () => {
      for (const sim of sims.values()) await sim.close().catch(() => undefined);
    });
  });
