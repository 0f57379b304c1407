import assert from 'node:assert/strict';
import {
  addSessionTimerToRequest,
  configAfter422,
  uacAgreement,
  uasDecide,
} from '../../../../../daemon/sip/session-timer/negotiation.js';
import { parseSessionExpires } from '../../../../../daemon/sip/session-timer/headers.js';
import { SipParseError } from '../../../../../daemon/sip/errors.js';
import { aliceInvite, bobResponse } from '../dialogs/messages.js';

describe('sip/session-timer/negotiation (RFC 4028)', () => {
  it('parses Session-Expires (also compact x) with refresher and rejects bad ones', () => {
    assert.deepEqual(parseSessionExpires('1800;refresher=UAS'), { interval: 1800, refresher: 'uas' });
    assert.deepEqual(parseSessionExpires('90 ; foo=bar'), { interval: 90 });
    assert.throws(() => parseSessionExpires('90;refresher=me'), SipParseError);
    assert.throws(() => parseSessionExpires('soon'), SipParseError);
    const inv = aliceInvite(['x: 600;refresher=uac']);
    assert.equal(inv.headers.get('Session-Expires'), '600;refresher=uac');
  });

  it('UAC: Supported: timer, Session-Expires and Min-SE in the request (7.1)', () => {
    const inv = aliceInvite(['Supported: 100rel']);
    addSessionTimerToRequest(inv, { interval: 1200, minSE: 60 }, 'uac');
    assert.deepEqual(inv.optionTags('Supported'), ['100rel', 'timer']);
    assert.equal(inv.headers.get('Session-Expires'), '1200;refresher=uac');
    assert.equal(inv.headers.get('Min-SE'), '90', 'Min-SE never below 90 s');
  });

  it('UAC: after 422 retries with the larger Min-SE (7.4)', () => {
    const inv = aliceInvite();
    const r422 = bobResponse(inv, 422, 'b1', ['Min-SE: 1900']);
    const cfg = configAfter422(r422, { interval: 1800, minSE: 90 });
    assert.deepEqual(cfg, { interval: 1900, minSE: 1900 });
    addSessionTimerToRequest(inv, cfg!);
    assert.equal(inv.headers.get('Session-Expires'), '1900');
    assert.equal(inv.headers.get('Min-SE'), '1900');
    assert.deepEqual(configAfter422(bobResponse(inv, 422, 'b1', ['Min-SE: 300']), { interval: 1800 }), {
      interval: 1800,
      minSE: 300,
    });
    assert.equal(configAfter422(bobResponse(inv, 422, 'b1'), { interval: 1800 }), undefined, 'no Min-SE: give up');
    assert.equal(configAfter422(bobResponse(inv, 422, 'b1', ['Min-SE: 100000']), {}), undefined, 'absurd: give up');
  });

  it('UAC: reads the 2xx; no Session-Expires means no timer (7.2)', () => {
    const inv = aliceInvite();
    assert.deepEqual(uacAgreement(bobResponse(inv, 200, 'b1', ['Session-Expires: 900;refresher=uas', 'Require: timer'])), {
      interval: 900,
      refresher: 'uas',
    });
    assert.deepEqual(uacAgreement(bobResponse(inv, 200, 'b1', ['Session-Expires: 900'])), { interval: 900, refresher: 'uac' });
    assert.equal(uacAgreement(bobResponse(inv, 200, 'b1')), undefined);
  });

  describe('UAS (9)', () => {
    it('a UAC with timer support and a too small interval gets 422 with our Min-SE', () => {
      const inv = aliceInvite(['Supported: timer', 'Session-Expires: 100']);
      assert.deepEqual(uasDecide(inv, { minSE: 300 }), { kind: 'reject', status: 422, minSE: 300 });
    });

    it('a UAC without support is never sent 422: the interval is raised and we refresh', () => {
      const inv = aliceInvite(['Session-Expires: 100']);
      assert.deepEqual(uasDecide(inv, { minSE: 300 }), {
        kind: 'accept',
        agreement: { interval: 300, refresher: 'uas' },
        headers: [['Session-Expires', '300;refresher=uas']],
      });
    });

    it('keeps the refresher the UAC chose, may lower the interval but not below its Min-SE', () => {
      const inv = aliceInvite(['Supported: timer', 'Session-Expires: 7200;refresher=uas', 'Min-SE: 1000']);
      assert.deepEqual(uasDecide(inv, { interval: 600, preferredRefresher: 'uac' }), {
        kind: 'accept',
        agreement: { interval: 1000, refresher: 'uas' },
        headers: [['Session-Expires', '1000;refresher=uas'], ['Require', 'timer']],
      });
    });

    it('chooses the refresher when the UAC left it open, and adds a timer the UAC did not ask for', () => {
      const asked = aliceInvite(['Supported: timer', 'Session-Expires: 1800']);
      const d = uasDecide(asked, {});
      assert.ok(d.kind === 'accept');
      assert.deepEqual(d.agreement, { interval: 1800, refresher: 'uac' });
      const notAsked = aliceInvite(['Supported: timer']);
      const d2 = uasDecide(notAsked, { interval: 900, preferredRefresher: 'uas' });
      assert.ok(d2.kind === 'accept');
      assert.deepEqual(d2.headers, [['Session-Expires', '900;refresher=uas'], ['Require', 'timer']]);
      const legacy = uasDecide(aliceInvite(), { interval: 900 });
      assert.ok(legacy.kind === 'accept');
      assert.deepEqual(legacy.headers, [['Session-Expires', '900;refresher=uas']]);
    });
  });
});
