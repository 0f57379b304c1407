import assert from 'node:assert/strict';
import { destinationOf, nextHop } from '../../../../../daemon/sip/user-agents/next-hop.js';
import { UserAgentError } from '../../../../../daemon/sip/user-agents/errors.js';
import { parseUri } from '../../../../../daemon/sip/uri.js';
import { request } from '../dialogs/messages.js';

describe('sip/user-agents/next-hop (RFC 3261 8.1.2)', () => {
  it('takes the first Route, else the Request-URI; port 5060 by default; transport from the URI', () => {
    const viaRoute = request(['OPTIONS sip:bob@192.0.2.7 SIP/2.0', 'Route: <sip:[2001:db8::5]:5070;lr;transport=tcp>, <sip:10.9.9.9;lr>']);
    assert.deepEqual(nextHop(viaRoute), { address: '2001:db8::5', port: 5070, protocol: 'tcp' });
    const direct = request(['OPTIONS sip:bob@192.0.2.7 SIP/2.0']);
    assert.deepEqual(nextHop(direct), { address: '192.0.2.7', port: 5060, protocol: 'udp' });
    assert.deepEqual(nextHop(direct, 'tcp'), { address: '192.0.2.7', port: 5060, protocol: 'tcp' });
  });

  it('refuses what would need DNS or is no SIP URI', () => {
    assert.throws(() => destinationOf(parseUri('sip:bob@example.com')), UserAgentError);
    assert.throws(() => destinationOf(parseUri('tel:+15551234')), /tel: URI/);
  });
});
