import { strict as assert } from 'node:assert';
import { isHideCallerId, isPhoneNumber, isTones, normalizeTones } from '../../../../daemon/dbus/call-arguments.js';
import { callProperties, ofonoTime } from '../../../../daemon/dbus/call-properties.js';
import type { CallInfo } from '../../../../daemon/dbus/backend.js';

function inZone<T>(tz: string, f: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

describe('dbus: VoiceCall properties and VoiceCallManager arguments', () => {
  it('StartTime in oFono\'s strftime("%Y-%m-%dT%H:%M:%S%z") local time', () => {
    assert.equal(inZone('UTC', () => ofonoTime('2026-11-23T18:00:05.123Z')), '2026-11-23T18:00:05+0000');
    assert.equal(inZone('Europe/Paris', () => ofonoTime('2026-11-23T18:00:05Z')), '2026-11-23T19:00:05+0100');
    assert.equal(inZone('America/St_Johns', () => ofonoTime('2026-07-01T00:00:00Z')), '2026-06-30T21:30:00-0230');
    assert.equal(ofonoTime('soon'), 'soon');
  });

  it('a CallInfo as oFono properties: Information and StartTime only when known; no multiparty', () => {
    const info: CallInfo = {
      id: 'x',
      direction: 'incoming',
      state: 'incoming',
      lineIdentification: 'withheld',
      name: '',
      remoteHeld: false,
      emergency: false,
      earlyMedia: false,
      information: '',
    };
    assert.deepEqual(callProperties(info), {
      LineIdentification: 'withheld',
      Name: '',
      Multiparty: false,
      State: 'incoming',
      StartTime: undefined,
      Information: undefined,
      Emergency: false,
      RemoteHeld: false,
      RemoteMultiparty: false,
    });
    const p = inZone('UTC', () => callProperties({ ...info, state: 'active', startTime: '2026-11-23T18:00:00Z', information: '200 OK', emergency: true }));
    assert.equal(p.StartTime, '2026-11-23T18:00:00+0000');
    assert.equal(p.Information, '200 OK');
    assert.equal(p.Emergency, true);
  });

  it('numbers, CLIR strings and tones as oFono accepts them', () => {
    for (const ok of ['+15559999', '5559999', '*31#5559999', '1'.repeat(80)]) assert.ok(isPhoneNumber(ok), ok);
    for (const bad of ['', '+', '++1', '555-9999', 'sip:x', '1'.repeat(81), 5]) assert.ok(!isPhoneNumber(bad), String(bad));
    for (const ok of ['', 'default', 'enabled', 'disabled']) assert.ok(isHideCallerId(ok));
    for (const bad of ['yes', 'Enabled', undefined]) assert.ok(!isHideCallerId(bad));
    assert.ok(isTones('0123456789*#ABCDabcdpP'));
    for (const bad of ['', 'E', '1 2', '+']) assert.ok(!isTones(bad), bad);
    assert.equal(normalizeTones('1a#p'), '1A#P');
  });
});
