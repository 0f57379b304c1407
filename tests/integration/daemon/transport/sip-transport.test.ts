// Two SipTransports talking over loopback (IPv4 and IPv6, UDP and TCP): real kernel sockets.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { SipRequest } from '../../../../daemon/sip/message.js';
import { createResponse } from '../../../../daemon/sip/response.js';
import { SipTransport } from '../../../../daemon/transport/sip-transport.js';
import type { InvalidReceived } from '../../../../daemon/transport/transport.js';
import { hostOf, nextMessage, request } from './helpers.js';

for (const addr of ['127.0.0.1', '::1']) {
  describe(`SipTransport over loopback ${addr}`, () => {
    let a: SipTransport;
    let b: SipTransport;
    beforeEach(async () => {
      a = await SipTransport.open({ localAddress: addr, portS: 0, portC: 0 });
      b = await SipTransport.open({ localAddress: addr, portS: 0 });
    });
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    for (const protocol of ['udp', 'tcp'] as const) {
      it(`${protocol}: request from port-c, response back on the same path`, async () => {
        const req = request('OPTIONS', `peer@${hostOf(addr)}:${b.portS}`, { address: addr, port: a.portS }, 1, { transport: protocol.toUpperCase() });
        const got = nextMessage(b);
        const sent = await a.send(req, { address: addr, port: b.portS, protocol });
        assert.equal(sent.protocol, protocol);
        assert.equal(sent.local.port, a.portC, 'requests leave from port-c');
        const r = await got;
        assert.equal(r.protocol, protocol);
        assert.equal(r.remote.port, a.portC);
        assert.ok(r.message.isRequest() && r.message.method === 'OPTIONS');
        // RFC 3581: the empty rport is filled in with the source port, received added
        assert.equal(r.message.topVia.params.get('rport'), String(a.portC));
        assert.equal(r.message.topVia.params.get('received'), addr);
        const reply = nextMessage(a);
        const res = createResponse(r.message, 200, { toTag: 'b1' });
        // RFC 3261 18.2.2: TCP responses go back on the request's connection
        const back = await b.send(res, { address: r.remote.address, port: r.remote.port, protocol }, { connectionId: r.connectionId });
        if (protocol === 'tcp') assert.equal(back.connectionId, r.connectionId);
        const resp = await reply;
        assert.ok(resp.message.isResponse());
        assert.equal(resp.message.status, 200);
        assert.equal(resp.message.toTag, 'b1');
      });
    }

    it('sends a UDP-bound request over 1300 bytes by TCP and rewrites its top Via (RFC 3261 18.1.1)', async () => {
      const big = request('MESSAGE', `peer@${hostOf(addr)}:${b.portS}`, { address: addr, port: a.portS }, 2, { extra: [`X-Padding: ${'p'.repeat(1400)}`] });
      const got = nextMessage(b);
      const sent = await a.send(big, { address: addr, port: b.portS, protocol: 'udp' });
      assert.equal(sent.protocol, 'tcp');
      const r = await got;
      assert.equal(r.protocol, 'tcp');
      assert.equal(r.message.topVia.transport, 'TCP');
      assert.equal(r.message.headers.get('X-Padding')?.length, 1400);
    });

    it('reuses one TCP connection for several requests, in both directions', async () => {
      const dest = { address: addr, port: b.portS, protocol: 'tcp' as const };
      const first = await a.send(request('OPTIONS', 'x@y', { address: addr, port: a.portS }, 3), dest);
      const r1 = await nextMessage(b);
      const second = await a.send(request('OPTIONS', 'x@y', { address: addr, port: a.portS }, 4), dest);
      await nextMessage(b);
      assert.equal(first.connectionId, second.connectionId);
      // b reaches a's port-c over the connection a opened, without a new one
      assert.ok(b.connectionTo(r1.remote));
      const back = await b.send(request('OPTIONS', 'z@y', { address: addr, port: b.portS }, 5), { address: r1.remote.address, port: r1.remote.port, protocol: 'tcp' });
      assert.equal(back.connectionId, b.connectionTo(r1.remote));
      const m = await nextMessage(a);
      assert.equal(m.connectionId, first.connectionId);
    });

    for (const protocol of ['udp', 'tcp'] as const) {
      it(`${protocol}: a second client port (TS 33.203 7.4): per peer, then the default; the old one closes with its connections`, async () => {
        const c = await SipTransport.open({ localAddress: addr, portS: 0 });
        try {
          const first = a.portC!;
          const second = await a.addClientPort();
          assert.notEqual(second, first);
          assert.deepEqual(a.clientPorts, [first, second]);
          const toB = { address: addr, port: b.portS, protocol };
          const toC = { address: addr, port: c.portS, protocol };
          const from = async (t: SipTransport, dest: typeof toB, cseq: number): Promise<number> => {
            const got = nextMessage(t);
            await a.send(request('OPTIONS', 'x@y', { address: addr, port: a.portS }, cseq), dest);
            const r = await got;
            // and the answer finds its way back to that port
            const back = nextMessage(a);
            await t.send(createResponse(r.message as SipRequest, 200, { toTag: 't' }), { address: r.remote.address, port: r.remote.port, protocol }, { connectionId: r.connectionId });
            const res = await back;
            assert.equal(res.local.port, r.remote.port);
            return r.remote.port;
          };
          assert.equal(await from(b, toB, 1), first, 'the default before any switch');
          a.useClientPort(second, toC);
          assert.equal(await from(c, toC, 2), second, 'the peer with a port of its own');
          assert.equal(await from(b, toB, 3), first, 'the others keep the default');
          a.useClientPort(second);
          assert.equal(await from(b, toB, 4), second, 'the new default; TCP opens a new connection from it');
          await a.closeClientPort(first);
          assert.deepEqual(a.clientPorts, [second]);
          assert.equal(await from(b, toB, 5), second);
          // the default one only closes once replaced
          const third = await a.addClientPort();
          await a.closeClientPort(second);
          assert.deepEqual(a.clientPorts, [second, third]);
          a.useClientPort(third);
          await new Promise((r) => setTimeout(r, 20));
          assert.deepEqual(a.clientPorts, [third]);
          assert.equal(await from(c, toC, 6), third, 'the per-peer port went with its socket');
        } finally {
          await c.close();
        }
      });
    }

    it('answers RFC 5626 CRLF keep-alive pings with a pong', async () => {
      const pong = once(a, 'pong');
      await a.ping({ address: addr, port: b.portS });
      const [remote] = (await pong) as [{ port: number }];
      assert.equal(remote.port, b.portS);
      const stop = a.keepAlive({ address: addr, port: b.portS }, 20);
      await once(a, 'pong');
      stop();
    });

    it('answers a malformed UDP request with 400 and reports it', async () => {
      const sock = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((r) => sock.bind(0, addr, () => r()));
      const port = sock.address().port;
      const invalid = once(b, 'invalid');
      const bad = `OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP ${hostOf(addr)}:${port};branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: bad1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
      const answer = once(sock, 'message');
      sock.send(bad, b.portS, addr);
      const [ev] = (await invalid) as [InvalidReceived];
      assert.equal(ev.answered, true);
      const [data] = (await answer) as [Buffer];
      assert.match(data.toString(), /^SIP\/2\.0 400 Bad Request\r\n/);
      assert.match(data.toString(), /\r\nCall-ID: bad1\r\n/);
      sock.close();
    });

    it('answers a malformed TCP request with 400 on the same connection', async () => {
      const sock = net.connect({ host: addr, port: b.portS });
      await once(sock, 'connect');
      const invalid = once(b, 'invalid');
      sock.write(`OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/TCP ${hostOf(addr)}:${sock.localPort};branch=z9hG4bKt\r\nFrom: <sip:a@b>;tag=1\r\nTo: "unterminated <sip:x@y>\r\nCall-ID: bad2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
      const [data] = (await once(sock, 'data')) as [Buffer];
      assert.match(data.toString(), /^SIP\/2\.0 400 Bad Request\r\n/);
      assert.match(data.toString(), /\r\nCall-ID: bad2\r\n/);
      const [ev] = (await invalid) as [InvalidReceived];
      assert.equal(ev.protocol, 'tcp');
      sock.destroy();
    });

    it('closes a TCP connection that sends an oversized body and reports it', async () => {
      const invalid = once(b, 'invalid');
      const sock = net.connect({ host: addr, port: b.portS });
      await once(sock, 'connect');
      sock.write('OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 99999999\r\n\r\n');
      const [ev] = (await invalid) as [InvalidReceived];
      assert.equal(ev.error.name, 'FramingError');
      await once(sock, 'close');
    });
  });
}
