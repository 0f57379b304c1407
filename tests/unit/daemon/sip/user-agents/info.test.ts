import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { OutgoingCall, type Session } from '../../../../../daemon/sip/user-agents/index.js';
import { Network } from './network.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

describe('sip/user-agents Session.info (RFC 6086)', () => {
  let net: Network;
  afterEach(() => net?.close());

  async function established(): Promise<{ session: Session; received: SipRequest[] }> {
    net = new Network();
    const received: SipRequest[] = [];
    const alice = net.ua('alice', '127.0.0.1', 5061, { sessionTimer: false });
    net.ua('bob', '127.0.0.2', 5062, {
      sessionTimer: false,
      onInvite: (call) => {
        call.accept({ body: SDP });
        const s = call.session!;
        s.handlers.onRequest = (r) => void received.push(r);
      },
    });
    let session: Session | undefined;
    new OutgoingCall(alice.core, { uri: parseUri('sip:bob@127.0.0.2:5062'), to: parseNameAddr('<sip:bob@x>'), from: parseNameAddr('<sip:alice@x>'), offer: { body: SDP } }, { onAccepted: (s) => void (session = s) }).start();
    await net.flush();
    assert.ok(session);
    return { session, received };
  }

  it('sends INFO in the dialog with its body and content type; the peer answers 200', async () => {
    const { session, received } = await established();
    const [res] = await Promise.all([session.info({ body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' }), net.flush()]);
    assert.equal(res.status, 200);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.headers.get('Content-Type'), 'application/dtmf-relay');
    assert.equal(received[0]!.body.toString(), 'Signal=5\r\nDuration=160\r\n');
    assert.equal(received[0]!.toTag, session.dialog.remoteTag);
    assert.ok(net.sequence().includes('alice>bob INFO'));
  });

  it('refuses to send on an ended session', async () => {
    const { session } = await established();
    session.bye();
    await net.flush();
    await assert.rejects(session.info({ body: 'x' }), /dialog is terminated/);
  });
});
