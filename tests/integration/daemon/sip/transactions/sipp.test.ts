// The transaction layer over the real SipTransport against SIPp (a SIP stack written by
// others) on loopback, UDP and TCP: our client transactions retransmit, ACK non-2xx finals and
// complete; our server transactions absorb retransmissions, re-send responses, answer CANCEL.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { SystemClock } from '../../../../../daemon/sip/clock.js';
import { SipEndpoint } from '../../../../../daemon/sip/endpoint.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import type { ServerTransaction, TransactionUser } from '../../../../../daemon/sip/transactions/index.js';
import { SipTransport } from '../../../../../daemon/transport/sip-transport.js';
import type { Destination, Received, SendOptions, Transport, TransportEvents } from '../../../../../daemon/transport/transport.js';
import { command, requirePrerequisites } from '../../../../helpers/prereq.js';
import { freePort, runSipp, type SippRun } from '../../../../helpers/sipp-runner.js';

const scenario = (name: string): string => join(dirname(fileURLToPath(import.meta.url)), 'sipp', name);

const ADDR = '127.0.0.1';
const hostOf = (addr: string): string => (addr.includes(':') ? `[${addr}]` : addr);

/** A Transport that records what is sent through it (kind and time), delegating to the real one. */
class RecordingTransport implements Transport {
  readonly sent: Array<{ at: number; what: string; cseqMethod: string }> = [];
  constructor(readonly inner: SipTransport) {}
  send(msg: SipMessage | Buffer, dest: Destination, options?: SendOptions): ReturnType<Transport['send']> {
    if (!Buffer.isBuffer(msg)) this.sent.push({ at: performance.now(), what: msg.isRequest() ? msg.method : String((msg as SipResponse).status), cseqMethod: msg.cseq.method });
    return this.inner.send(msg, dest, options);
  }
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this {
    this.inner.on(event, listener);
    return this;
  }
  off<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this {
    this.inner.off(event, listener);
    return this;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  count(what: string): number {
    return this.sent.filter((s) => s.what === what).length;
  }
}

function request(method: string, target: string, protocol: 'udp' | 'tcp', cseq: number, addr = ADDR): SipRequest {
  const h = hostOf(addr);
  return parseMessage(
    [
      `${method} sip:${target} SIP/2.0`,
      'Max-Forwards: 70',
      `From: <sip:imsd@${h}>;tag=imsd${cseq}`,
      `To: <sip:sipp@${h}>`,
      `Call-ID: txn-${method}-${protocol}-${cseq}-${process.pid}@${h}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:imsd@${h};transport=${protocol}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ) as SipRequest;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe('SIP transactions against SIPp on loopback', function () {
  this.timeout(30000);
  let sipp: SippRun | undefined;
  let endpoint: SipEndpoint | undefined;
  let transport: RecordingTransport | undefined;
  let clock: SystemClock | undefined;

  beforeEach(function () {
    requirePrerequisites(this, [command('sipp')]);
  });
  afterEach(async () => {
    sipp?.kill();
    endpoint?.close();
    // close() ended every transaction: no timer of ours is left on the real clock
    const leftover = clock?.pending ?? 0;
    await transport?.close();
    clock = undefined;
    sipp = undefined;
    endpoint = undefined;
    transport = undefined;
    assert.equal(leftover, 0, 'timers left after SipEndpoint.close()');
  });

  async function open(tu: Partial<TransactionUser<ServerTransaction>> = {}, T1 = 200, addr = ADDR): Promise<{ ep: SipEndpoint; t: RecordingTransport; port: number }> {
    const inner = await SipTransport.open({ localAddress: addr, portS: 0 });
    transport = new RecordingTransport(inner);
    endpoint = new SipEndpoint({
      transport,
      clock: (clock = new SystemClock()),
      sentBy: { host: addr, port: inner.portS },
      timers: { T1 },
      tu: { onRequest: () => assert.fail('unexpected request'), ...tu },
    });
    return { ep: endpoint, t: transport, port: inner.portS };
  }

  it('UDP: SIPp ignores our first REGISTER; the Timer E retransmission completes the transaction', async () => {
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uas-register-drop-first.xml'), local: ADDR, port, transport: 'udp', extra: ['-nr'] });
    const { ep, t } = await open({}, 200);
    const final = deferred<SipResponse>();
    const tx = ep.layer.sendRequest(request('REGISTER', `${ADDR}:${port}`, 'udp', 1), { address: ADDR, port, protocol: 'udp' }, {
      onResponse: (r) => r.status >= 200 && final.resolve(r),
      onTimeout: (e) => assert.fail(e.message),
    });
    const res = await within(final.promise, 10000, 'the 200');
    assert.equal(res.status, 200);
    assert.equal(tx.state, 'Completed');
    const times = t.sent.filter((s) => s.what === 'REGISTER').map((s) => s.at - t.sent[0].at);
    assert.ok(times.length >= 2, 'a retransmission was needed');
    assert.ok(times[1] >= 190, `Timer E fired after T1 (${times[1].toFixed(0)} ms)`);
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
  });

  it('TCP: the REGISTER goes out once (no retransmission on a reliable transport) and Timer K = 0 ends it', async () => {
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uas-register.xml'), local: ADDR, port, transport: 'tcp' });
    const { ep, t } = await open({}, 100);
    const final = deferred<SipResponse>();
    const tx = ep.layer.sendRequest(request('REGISTER', `${ADDR}:${port}`, 'tcp', 1), { address: ADDR, port, protocol: 'tcp' }, {
      onResponse: (r) => r.status >= 200 && final.resolve(r),
    });
    assert.equal((await within(final.promise, 10000, 'the 200')).status, 200);
    assert.equal(tx.state, 'Terminated');
    await new Promise((r) => setTimeout(r, 500)); // 5*T1: a UDP transaction would have retransmitted by now
    assert.equal(t.count('REGISTER'), 1);
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
  });

  for (const [protocol, addr] of [['udp', ADDR], ['tcp', ADDR], ['udp', '::1'], ['tcp', '::1']] as const) {
    it(`${protocol.toUpperCase()} ${addr}: our INVITE client transaction ACKs SIPp's 486 (SIPp checks the ACK)`, async () => {
      const port = await freePort(addr);
      sipp = await runSipp({ scenario: scenario('uas-invite-486.xml'), local: addr, port, transport: protocol });
      const { ep, t } = await open({}, 200, addr);
      const statuses: number[] = [];
      const final = deferred<void>();
      const tx = ep.layer.sendInvite(request('INVITE', `sipp@${hostOf(addr)}:${port}`, protocol, 1, addr), { address: addr, port, protocol }, {
        onResponse: (r) => {
          statuses.push(r.status);
          if (r.status >= 200) final.resolve();
        },
      });
      await within(final.promise, 10000, 'the 486');
      const { code, errors } = await sipp.done;
      assert.equal(code, 0, `SIPp failed: ${errors}`);
      assert.deepEqual(statuses, [100, 486]);
      assert.equal(t.count('ACK'), 1);
      assert.equal(tx.state, protocol === 'udp' ? 'Completed' : 'Terminated'); // Timer D: 32 s on UDP, 0 on TCP
    });

    it(`${protocol.toUpperCase()} ${addr}: SIPp's INVITE then CANCEL: the layer answers 200 to the CANCEL, the TU 487, SIPp ACKs`, async () => {
      const requests: string[] = [];
      const confirmed = deferred<void>();
      let inviteTx: ServerTransaction | undefined;
      const { port: ourPort } = await open({
        onRequest: (tx) => {
          requests.push(tx.request.method);
          inviteTx = tx;
          if (tx.kind !== 'invite') return;
          tx.respond(createResponse(tx.request, 180, { toTag: 'imsd-ring' }));
          tx.handlers.onCancel = () => tx.respond(createResponse(tx.request, 487, { toTag: 'imsd-ring' }));
          tx.handlers.onTerminated = () => confirmed.resolve();
        },
      }, 200, addr);
      const port = await freePort(addr);
      sipp = await runSipp({ scenario: scenario('uac-invite-cancel.xml'), local: addr, port, transport: protocol, target: `${hostOf(addr)}:${ourPort}` });
      const { code, errors } = await sipp.done;
      assert.equal(code, 0, `SIPp failed: ${errors}`);
      assert.deepEqual(requests, ['INVITE']);
      assert.ok(inviteTx && inviteTx.kind === 'invite' && inviteTx.cancelled);
      if (protocol === 'tcp') await within(confirmed.promise, 2000, 'the transaction to end at the ACK (Timer I = 0)');
      else assert.equal(inviteTx.state, 'Confirmed');
      // in that order; under load Timer G may re-send the 487 before SIPp's ACK arrives
      assert.deepEqual([...new Set(transport?.sent.map((s) => s.what))], ['180', '200', '487']);
    });
  }

  it('UDP: respond2xx re-sends our 200 to SIPp\'s INVITE until its late ACK arrives, then stops', async () => {
    const methods: string[] = [];
    const acks: string[] = [];
    let ackAt = 0;
    const { port: ourPort, t, ep } = await open({
      onRequest: (tx) => {
        methods.push(tx.request.method);
        const ok = createResponse(tx.request, 200, { toTag: 'imsd-call' });
        ok.headers.set('Contact', `<sip:imsd@${ADDR}:${ourPort}>`);
        if (tx.kind === 'invite') ep.layer.respond2xx(tx, ok, { onAckTimeout: () => assert.fail('no ACK') });
        else tx.respond(ok);
      },
      onStrayAck: (ack) => {
        acks.push(ack.message.cseq.method);
        ackAt = performance.now();
      },
    }, 200);
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uac-invite-late-ack.xml'), local: ADDR, port, transport: 'udp', target: `${ADDR}:${ourPort}` });
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    assert.deepEqual(methods, ['INVITE', 'BYE']);
    assert.deepEqual(acks, ['ACK']);
    // T1 = 200 ms and the ACK ~1 s late: the 200 at 0, then at 0.2 and 0.6 s (1.4 s if late)
    const oks = t.sent.filter((s) => s.what === '200' && s.cseqMethod === 'INVITE');
    assert.ok(oks.filter((s) => s.at < ackAt).length >= 3, `the INVITE 200 was sent ${oks.length} times before the ACK`);
    assert.equal(oks.filter((s) => s.at > ackAt).length, 0, 'no 200 after the ACK');
  });

  it('UDP: SIPp retransmits a MESSAGE: the TU sees it once, retransmissions are absorbed, the 200 is re-sent', async () => {
    const tuRequests: string[] = [];
    const { port: ourPort, t } = await open({
      onRequest: (tx) => {
        tuRequests.push(tx.request.method);
        // answer well after SIPp's retransmission at 100 ms
        setTimeout(() => tx.respond(createResponse(tx.request, 200, { toTag: 'imsd-msg' })), 800);
      },
    });
    const received: Received[] = [];
    t.inner.on('message', (m) => received.push(m));
    const port = await freePort(ADDR);
    sipp = await runSipp({ scenario: scenario('uac-message-retransmit.xml'), local: ADDR, port, transport: 'udp', target: `${ADDR}:${ourPort}`, extra: ['-nr'] });
    const { code, errors } = await sipp.done;
    assert.equal(code, 0, `SIPp failed: ${errors}`);
    assert.deepEqual(tuRequests, ['MESSAGE']);
    const copies = received.filter((m) => m.message.isRequest() && m.message.method === 'MESSAGE').length;
    assert.equal(copies, 3, 'the original, a retransmission in Trying, one in Completed');
    assert.equal(t.count('200'), 2, 'one 200 from the TU, one re-sent by the transaction');
  });
});
