import assert from 'node:assert/strict';
import { stampAccessNetworkInfo } from '../../../../daemon/ims/access-network-info.js';
import { parseMessage } from '../../../../daemon/sip/parser.js';
import { createResponse } from '../../../../daemon/sip/response.js';
import { SipRequest } from '../../../../daemon/sip/message.js';

const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B';

function request(method: string): SipRequest {
  const text =
    `${method} sip:+15559999@ims.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n` +
    `From: <sip:a@ims.example>;tag=1\r\nTo: <sip:b@ims.example>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
  const m = parseMessage(text);
  assert.ok(m instanceof SipRequest);
  return m;
}

describe('ims P-Access-Network-Info on what the UE sends (TS 24.229 5.1.2A.1.1)', () => {
  it('every request but ACK and CANCEL', () => {
    for (const method of ['INVITE', 'PRACK', 'UPDATE', 'BYE', 'INFO', 'SUBSCRIBE', 'MESSAGE', 'OPTIONS']) {
      const r = request(method);
      stampAccessNetworkInfo(r, CELL);
      assert.equal(r.headers.get('P-Access-Network-Info'), CELL, method);
    }
    for (const method of ['ACK', 'CANCEL']) {
      const r = request(method);
      stampAccessNetworkInfo(r, CELL);
      assert.equal(r.headers.has('P-Access-Network-Info'), false, method);
    }
  });

  it('responses but 100 Trying and those to CANCEL', () => {
    const ok = createResponse(request('INVITE'), 180, { toTag: 't' });
    stampAccessNetworkInfo(ok, CELL);
    assert.equal(ok.headers.get('P-Access-Network-Info'), CELL);
    for (const res of [createResponse(request('INVITE'), 100), createResponse(request('CANCEL'), 200, { toTag: 't' })]) {
      stampAccessNetworkInfo(res, CELL);
      assert.equal(res.headers.has('P-Access-Network-Info'), false, `${res.status} ${res.cseq.method}`);
    }
  });

  it('once: a retransmission or a message that has one already is left alone; nothing when the cell is unknown', () => {
    const r = request('INVITE');
    stampAccessNetworkInfo(r, CELL);
    stampAccessNetworkInfo(r, '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100020000001');
    assert.deepEqual(r.headers.getAll('P-Access-Network-Info'), [CELL]);
    const u = request('INVITE');
    stampAccessNetworkInfo(u, undefined);
    assert.equal(u.headers.has('P-Access-Network-Info'), false);
  });
});
