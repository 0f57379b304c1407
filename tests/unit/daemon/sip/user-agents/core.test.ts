import assert from 'node:assert/strict';
import { createInitialRequest } from '../../../../../daemon/sip/dialogs/request-factory.js';
import { parseNameAddr } from '../../../../../daemon/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../../../../daemon/sip/message.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { Network, type Ua } from './network.js';

const na = parseNameAddr;

/** Send an out-of-dialog request from `from` to `to` and return its final response. */
async function ask(net: Network, from: Ua, to: Ua, method: string, extra: Array<[string, string]> = [], body?: string): Promise<SipResponse> {
  const req: SipRequest = createInitialRequest({
    method,
    uri: parseUri(`sip:${to.name}@${to.address}:${to.port}`),
    from: na(`<sip:${from.name}@example.com>`),
    to: na(`<sip:${to.name}@example.com>`),
    contact: from.core.contact,
    headers: extra,
    ...(body !== undefined ? { body, contentType: 'text/plain' } : {}),
  });
  let final: SipResponse | undefined;
  from.core.sendRequest(req, { onResponse: (r) => void (r.status >= 200 && (final = r)) });
  await net.flush();
  if (!final) throw new Error(`no final response to ${method}`);
  return final;
}

describe('sip/user-agents/core (RFC 3261 8.2, 11, 12.2.2; RFC 3428)', () => {
  let net: Network;
  afterEach(() => net.close());

  it('answers OPTIONS with 200, Allow, Accept and Supported (11.2)', async () => {
    net = new Network();
    const a = net.ua('alice', '127.0.0.1', 5061);
    const b = net.ua('bob', '127.0.0.2', 5062);
    const res = await ask(net, a, b, 'OPTIONS');
    assert.equal(res.status, 200);
    assert.ok(res.toTag, 'a To tag is added');
    assert.deepEqual(res.headers.getAll('Allow'), ['INVITE', 'ACK', 'CANCEL', 'BYE', 'PRACK', 'UPDATE', 'OPTIONS', 'NOTIFY', 'INFO']);
    assert.deepEqual(res.headers.getAll('Accept'), ['application/sdp', 'text/plain']);
    assert.deepEqual(res.optionTags('Supported'), ['100rel', 'timer']);
  });

  it('hands a MESSAGE body to the application and answers its status; without a handler 405', async () => {
    net = new Network();
    const got: string[] = [];
    const a = net.ua('alice', '127.0.0.1', 5061);
    const b = net.ua('bob', '127.0.0.2', 5062, { onMessage: (req) => void got.push(`${req.contentType}|${req.body.toString()}`) });
    const res = await ask(net, a, b, 'MESSAGE', [], 'hello Bob');
    assert.equal(res.status, 200);
    assert.deepEqual(got, ['text/plain|hello Bob']);
    assert.ok(res.headers.getAll('Allow').length === 0);
    const back = await ask(net, b, a, 'MESSAGE', [], 'hi');
    assert.equal(back.status, 405);
    assert.ok(back.headers.getAll('Allow').includes('INVITE'));
    assert.ok(!back.headers.getAll('Allow').includes('MESSAGE'));
    assert.deepEqual(a.rejected, [{ method: 'MESSAGE', status: 405, why: 'MESSAGE not served' }]);
  });

  it('405 with Allow for unknown methods, 420 with Unsupported for unknown Require, 481 for unknown dialogs', async () => {
    net = new Network();
    const a = net.ua('alice', '127.0.0.1', 5061);
    const b = net.ua('bob', '127.0.0.2', 5062);
    const pub = await ask(net, a, b, 'PUBLISH', [['Event', 'presence']]);
    assert.equal(pub.status, 405);
    assert.ok(pub.headers.getAll('Allow').includes('UPDATE'));
    const req = await ask(net, a, b, 'OPTIONS', [['Require', 'foo, 100rel, bar']]);
    assert.equal(req.status, 420);
    assert.deepEqual(req.headers.getAll('Unsupported'), ['foo', 'bar']);
    const bye = createInitialRequest({
      method: 'BYE',
      uri: parseUri('sip:bob@127.0.0.2:5062'),
      from: na('<sip:alice@example.com>'),
      to: na('<sip:bob@example.com>'),
    });
    bye.to = { ...bye.to, params: bye.to.params.clone().set('tag', 'nope') };
    let status = 0;
    a.core.sendRequest(bye, { onResponse: (r) => void (status = r.status) });
    await net.flush();
    assert.equal(status, 481);
    const prack = await ask(net, a, b, 'PRACK', [['RAck', '1 1 INVITE']]);
    assert.equal(prack.status, 481, 'PRACK outside a dialog');
    const inv = await ask(net, a, b, 'INVITE');
    assert.equal(inv.status, 405, 'no INVITE handler');
    assert.deepEqual(
      b.rejected.map((r) => `${r.method} ${r.status}`),
      ['PUBLISH 405', 'OPTIONS 420', 'BYE 481', 'PRACK 481', 'INVITE 405'],
    );
  });
});

describe('sip/user-agents/core malformed headers read on use', () => {
  it('answers 400 to an INVITE whose Session-Expires is not a number', async () => {
    const net = new Network();
    const a = net.ua('alice', '127.0.0.1', 5061);
    const b = net.ua('bob', '127.0.0.2', 5062, { onInvite: () => assert.fail('must not reach the application') });
    const res = await ask(net, a, b, 'INVITE', [['Session-Expires', 'soon']]);
    assert.equal(res.status, 400);
    assert.match(b.rejected[0].why, /Session-Expires/);
    net.close();
  });
});
