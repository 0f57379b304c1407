import assert from 'node:assert/strict';
import { decideOnReginfo } from '../../../../../daemon/ims/registration/reg-event.js';
import { parseReginfo } from '../../../../../daemon/ims/registration/reginfo.js';

const doc = (state: 'full' | 'partial', regs: Array<[aor: string, regState: string, contactState: string, event: string, extra?: string]>): string =>
  `<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="1" state="${state}">` +
  regs.map(([aor, rs, cs, ev, extra], i) => `<registration aor="${aor}" id="r${i}" state="${rs}"><contact id="c${i}" state="${cs}" event="${ev}"${extra ?? ''}><uri>sip:10.0.0.2:6101</uri></contact></registration>`).join('') +
  '</reginfo>';
const ours = (): boolean => true;

describe('ims/registration reg-event decisions (TS 24.229 5.1.1.7)', () => {
  it('a full document replaces the IMPUs, the default first', () => {
    const d = decideOnReginfo(parseReginfo(doc('full', [['tel:+1', 'active', 'active', 'registered'], ['sip:a@x', 'active', 'active', 'registered']])), ['sip:old@x'], 'sip:a@x', ours);
    assert.deepEqual(d, { impus: ['sip:a@x', 'tel:+1'], action: { kind: 'none' } });
  });

  it('a partial document updates them: one IMPU deregistered, the others kept', () => {
    const d = decideOnReginfo(parseReginfo(doc('partial', [['tel:+1', 'terminated', 'terminated', 'unregistered']])), ['sip:a@x', 'tel:+1', 'sip:b@x'], 'sip:a@x', ours);
    assert.deepEqual(d.impus, ['sip:a@x', 'sip:b@x']);
    assert.deepEqual(d.action, { kind: 'none' }, 'one identity gone is no reason to register again');
  });

  it('when no identity is left registered, the first terminated contact decides', () => {
    const d = decideOnReginfo(parseReginfo(doc('full', [['tel:+1', 'terminated', 'terminated', 'deactivated']])), ['sip:a@x', 'tel:+1'], 'sip:a@x', ours);
    assert.deepEqual(d, { impus: [], action: { kind: 'register-again', event: 'deactivated' } });
  });

  it('the default IMPU’s registration decides over the others', () => {
    const d = decideOnReginfo(parseReginfo(doc('full', [['tel:+1', 'terminated', 'terminated', 'rejected'], ['sip:a@x', 'active', 'active', 'shortened', ' expires="300"']])), [], 'sip:a@x', ours);
    assert.deepEqual(d.action, { kind: 'shortened', expires: 300 });
    assert.deepEqual(d.impus, ['sip:a@x']);
  });

  it('rejected, probation with retry-after, and contacts that are not ours', () => {
    assert.deepEqual(decideOnReginfo(parseReginfo(doc('full', [['sip:a@x', 'terminated', 'terminated', 'rejected']])), [], 'sip:a@x', ours).action, { kind: 'rejected' });
    assert.deepEqual(decideOnReginfo(parseReginfo(doc('full', [['sip:a@x', 'terminated', 'terminated', 'probation', ' retry-after="60"']])), [], 'sip:a@x', ours).action, { kind: 'probation', retryAfter: 60 });
    assert.deepEqual(decideOnReginfo(parseReginfo(doc('full', [['sip:a@x', 'terminated', 'terminated', 'rejected']])), ['sip:a@x'], 'sip:a@x', () => false), { impus: [], action: { kind: 'none' } });
  });
});
