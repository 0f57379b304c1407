import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createInitialRequest } from '../../../../../daemon/sip/dialogs/request-factory.js';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import { SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { digestAuthorizer } from '../../../../../daemon/sip/user-agents/authorizer.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function invite() {
  return createInitialRequest({
    method: 'INVITE', uri: parseUri('sip:bob@example.com'), from: parseNameAddr('<sip:alice@example.com>'),
    to: parseNameAddr('<sip:bob@example.com>'), contact: parseNameAddr('<sip:alice@127.0.0.1:5060>'),
  });
}

function challenge(status: number, ...values: string[]): SipResponse {
  const res = new SipResponse(status, status === 407 ? 'Proxy Authentication Required' : 'Unauthorized');
  for (const v of values) res.headers.append(status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate', v);
  return res;
}

describe('sip/user-agents/authorizer (RFC 3261 22.2, 22.3; RFC 2617 3.2.2)', () => {
  const unanswered: string[] = [];
  const auth = digestAuthorizer({
    credentials: (realm) => (realm === 'example.com' ? { username: 'alice', password: 'secret' } : undefined),
    cnonce: () => 'c0ffee',
    onUnanswered: (why) => void unanswered.push(why),
  });
  beforeEach(() => void (unanswered.length = 0));

  it('answers a 407 with Proxy-Authorization, qop=auth, as an independent MD5 computation does', () => {
    const req = invite();
    const headers = auth(challenge(407, 'Digest realm="example.com", nonce="abc123", qop="auth,auth-int", opaque="op"'), req);
    const ha1 = md5('alice:example.com:secret');
    const ha2 = md5('INVITE:sip:bob@example.com');
    const response = md5(`${ha1}:abc123:00000001:c0ffee:auth:${ha2}`);
    assert.deepEqual(headers, [['Proxy-Authorization',
      `Digest username="alice", realm="example.com", nonce="abc123", uri="sip:bob@example.com", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee", opaque="op"`]]);
  });

  it('answers a 401 without qop (RFC 2069 form) with Authorization', () => {
    const headers = auth(challenge(401, 'Digest realm="example.com", nonce="n1"'), invite());
    const response = md5(`${md5('alice:example.com:secret')}:n1:${md5('INVITE:sip:bob@example.com')}`);
    assert.deepEqual(headers, [['Authorization',
      `Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob@example.com", response="${response}", algorithm=MD5`]]);
  });

  it('answers the realms it has credentials for and says why it skipped the others', () => {
    const headers = auth(challenge(407,
      'Digest realm="other.net", nonce="x"',
      'Digest realm="example.com", nonce="y", algorithm=AKAv1-MD5',
      'Basic realm="example.com"',
      'Digest realm="example.com", nonce="z"'), invite());
    assert.equal(headers?.length, 1);
    assert.match(headers?.[0]?.[1] ?? '', /nonce="z"/);
    assert.deepEqual(unanswered, [
      'no credentials for realm "other.net"',
      'AKAv1-MD5 challenge for realm "example.com" is the registration\'s to answer',
      'malformed Proxy-Authenticate: unsupported authentication scheme "Basic"',
    ]);
    assert.equal(auth(challenge(401, 'Digest realm="other.net", nonce="x"'), invite()), undefined);
  });
});
