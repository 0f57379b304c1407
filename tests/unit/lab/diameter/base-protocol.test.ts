import { strict as assert } from 'node:assert';
import { findAllAvps, findAvp, groupedAvp, readGrouped, readUnsigned32, unsigned32Avp, utf8Avp } from '../../../../lab/diameter/avp.js';
import { BasePeerState, errorAnswer } from '../../../../lab/diameter/base-protocol.js';
import { BaseAvp, baseKey } from '../../../../lab/diameter/dictionary.js';
import type { Avp, DiameterMessage } from '../../../../lab/diameter/message.js';

const local = {
  originHost: 'hss.example', originRealm: 'example', hostIpAddresses: ['127.0.0.1'], vendorId: 0, productName: 'test',
  authApplications: [{ vendorId: 10415, applicationId: 16777216 }], supportedVendorIds: [10415],
};

function req(commandCode: number, avps: Avp[]): DiameterMessage {
  return { commandCode, applicationId: 0, request: true, proxiable: false, error: false, hopByHop: 5, endToEnd: 6, avps };
}

const rc = (m: DiameterMessage): number => readUnsigned32(findAvp(m.avps, baseKey(BaseAvp.ResultCode))!);

describe('lab/diameter base protocol (RFC 6733 5)', () => {
  it('CER offering Cx in Vendor-Specific-Application-Id -> CEA 2001 with our identity and Cx', () => {
    const state = new BasePeerState(local);
    const step = state.onRequest(req(257, [
      utf8Avp(baseKey(BaseAvp.OriginHost), 'scscf.example'), utf8Avp(baseKey(BaseAvp.OriginRealm), 'example'),
      groupedAvp(baseKey(BaseAvp.VendorSpecificApplicationId), [unsigned32Avp(baseKey(BaseAvp.VendorId), 10415), unsigned32Avp(baseKey(BaseAvp.AuthApplicationId), 16777216)]),
    ]));
    assert.equal(step.kind, 'base');
    if (step.kind !== 'base') return;
    assert.equal(state.peerHost, 'scscf.example');
    assert.equal(step.close, false);
    assert.equal(step.answer.request, false);
    assert.equal(step.answer.hopByHop, 5);
    assert.equal(step.answer.endToEnd, 6);
    assert.equal(rc(step.answer), 2001);
    assert.equal(findAvp(step.answer.avps, baseKey(BaseAvp.OriginHost))!.data.toString(), 'hss.example');
    assert.equal(findAvp(step.answer.avps, baseKey(BaseAvp.HostIpAddress))!.data.toString('hex'), '00017f000001');
    const vsai = findAllAvps(step.answer.avps, baseKey(BaseAvp.VendorSpecificApplicationId)).map(readGrouped);
    assert.equal(readUnsigned32(findAvp(vsai[0]!, baseKey(BaseAvp.AuthApplicationId))!), 16777216);
  });

  it('CER without a common application -> 5010 DIAMETER_NO_COMMON_APPLICATION, no E bit', () => {
    const step = new BasePeerState(local).onRequest(req(257, [unsigned32Avp(baseKey(BaseAvp.AuthApplicationId), 4)]));
    assert.ok(step.kind === 'base');
    assert.equal(rc(step.answer), 5010);
    assert.equal(step.answer.error, false);
  });

  it('DWR -> DWA 2001; DPR -> DPA 2001 and close; other commands go to the application', () => {
    const state = new BasePeerState(local);
    const dwa = state.onRequest(req(280, []));
    assert.ok(dwa.kind === 'base' && rc(dwa.answer) === 2001 && !dwa.close);
    const dpa = state.onRequest(req(282, [unsigned32Avp(baseKey(BaseAvp.DisconnectCause), 0)]));
    assert.ok(dpa.kind === 'base' && rc(dpa.answer) === 2001 && dpa.close);
    assert.equal(state.onRequest(req(303, [])).kind, 'application');
  });

  it('error answers: E bit only for protocol errors (3xxx), Session-Id copied first', () => {
    const r = req(303, [utf8Avp(baseKey(BaseAvp.SessionId), 's;1')]);
    const e3001 = errorAnswer(r, local, 3001);
    assert.equal(e3001.error, true);
    assert.equal(e3001.avps[0]!.data.toString(), 's;1');
    const e5005 = errorAnswer(r, local, 5005, 'missing User-Name AVP (1)');
    assert.equal(e5005.error, false);
    assert.equal(findAvp(e5005.avps, baseKey(BaseAvp.ErrorMessage))!.data.toString(), 'missing User-Name AVP (1)');
  });
});
