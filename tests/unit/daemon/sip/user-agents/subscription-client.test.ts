import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { createResponse } from '../../../../../daemon/sip/response.js';
import { parseMessage } from '../../../../../daemon/sip/parser.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { SubscriptionClient } from '../../../../../daemon/sip/user-agents/subscription-client.js';
import type { SubscriberTermination } from '../../../../../daemon/sip/subscriptions/subscriber.js';
import { Network } from './network.js';

/** A NOTIFY from the hand-driven notifier at 127.0.0.60 in the subscription of `sub`. */
function notify(sub: SipRequest, seq: number, state: string, body = ''): SipRequest {
  const text = [
    'NOTIFY sip:alice@127.0.0.1:5061 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.60:5060;branch=z9hG4bK-n${seq}`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=notifier`,
    `To: ${sub.headers.get('From')}`,
    `Call-ID: ${sub.callId}`,
    `CSeq: ${seq} NOTIFY`,
    'Contact: <sip:notifier@127.0.0.60:5060>',
    'Event: reg',
    `Subscription-State: ${state}`,
    ...(body ? ['Content-Type: application/reginfo+xml'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  return parseMessage(text) as SipRequest;
}

describe('sip/user-agents/subscription-client (RFC 6665 4.1)', () => {
  it('NOTIFY before the 2xx creates the dialog; in-dialog NOTIFYs are answered; unsubscribe ends it', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061);
    const bodies: string[] = [];
    const ended: SubscriberTermination[] = [];
    const client = new SubscriptionClient(alice.core, {
      uri: parseUri('sip:alice@127.0.0.60:5060'),
      to: parseNameAddr('<sip:alice@example.com>'),
      from: parseNameAddr('<sip:alice@example.com>'),
      event: 'reg',
      accept: ['application/reginfo+xml'],
      expires: 600,
      onNotify: (n) => void bodies.push(n.body.toString()),
      onTerminated: (w) => void ended.push(w),
    });
    const sub = client.subscribe();
    await net.flush();
    assert.equal(net.unrouted.length, 1);
    // the NOTIFY overtakes the 200
    net.inject(alice, notify(sub, 1, 'active;expires=600', '<reginfo/>'), { address: '127.0.0.60', port: 5060 });
    await net.flush();
    const r1 = net.unrouted.at(-1)!.msg as SipResponse;
    assert.equal(r1.status, 200);
    assert.equal(client.subscriber.state, 'active');
    const ok = createResponse(net.unrouted[0].msg as SipRequest, 200, { toTag: 'notifier' });
    ok.headers.append('Expires', '600');
    net.inject(alice, ok, { address: '127.0.0.60', port: 5060 });
    await net.flush();
    // a second NOTIFY is routed through the dialog registry
    net.inject(alice, notify(sub, 2, 'active;expires=600', '<reginfo version="1"/>'), { address: '127.0.0.60', port: 5060 });
    await net.flush();
    assert.equal((net.unrouted.at(-1)!.msg as SipResponse).status, 200);
    assert.deepEqual(bodies, ['<reginfo/>', '<reginfo version="1"/>']);
    // a NOTIFY of a subscription nobody has: 481
    const stray = notify(sub, 3, 'active');
    stray.headers.set('Call-ID', 'unknown');
    net.inject(alice, stray, { address: '127.0.0.60', port: 5060 });
    await net.flush();
    assert.equal((net.unrouted.at(-1)!.msg as SipResponse).status, 481);
    // unsubscribe: in-dialog SUBSCRIBE with Expires: 0 to the notifier's Contact
    const un = client.unsubscribe()!;
    await net.flush();
    assert.equal(un.headers.get('Expires'), '0');
    const sent = net.unrouted.at(-1)!;
    assert.equal(sent.dest.address, '127.0.0.60');
    assert.equal((sent.msg as SipRequest).method, 'SUBSCRIBE');
    net.inject(alice, createResponse(sent.msg as SipRequest, 200), { address: '127.0.0.60', port: 5060 });
    net.inject(alice, notify(sub, 4, 'terminated;reason=timeout'), { address: '127.0.0.60', port: 5060 });
    await net.flush();
    assert.deepEqual(ended, [{ reason: 'timeout' }]);
    assert.equal(alice.core.dialogCount, 0);
    net.close();
  });

  it('Timer N: a SUBSCRIBE answered 200 but never NOTIFYed fails after 64*T1', async () => {
    const net = new Network();
    const alice = net.ua('alice', '127.0.0.1', 5061);
    const ended: SubscriberTermination[] = [];
    const client = new SubscriptionClient(alice.core, {
      uri: parseUri('sip:alice@127.0.0.60:5060'),
      to: parseNameAddr('<sip:alice@example.com>'),
      from: parseNameAddr('<sip:alice@example.com>'),
      event: 'reg',
      expires: 600,
      onTerminated: (w) => void ended.push(w),
    });
    client.subscribe();
    await net.flush();
    net.inject(alice, createResponse(net.unrouted[0].msg as SipRequest, 200, { toTag: 'n' }), { address: '127.0.0.60', port: 5060 });
    await net.run(32_500, 500);
    assert.deepEqual(ended, [{ reason: 'timer-n' }]);
    assert.equal(alice.core.dialogCount, 0);
    net.close();
  });
});
