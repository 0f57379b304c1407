// ModemImsBackend against a fake MediatekDriver: Registered/VoiceCapable/SmsCapable from +CIREGU,
// 'change' on each change, register/unregister as the modem's IMS switches, errors as ImsBackendError.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { ImsBackendError } from '../../../../daemon/dbus/backend.js';
import { ModemImsBackend, type ModemImsControl } from '../../../../daemon/composition/modem-ims-backend.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import type { ImsRegistration } from '../../../../modem-drivers/mediatek/ims-lines.js';

class FakeDriver extends EventEmitter {
  imsRegistration: ImsRegistration | undefined;
  modemImsEnabled: boolean | undefined;
  readonly sent: string[] = [];
  fail: Error | undefined;
  async setModemIms(enabled: boolean): Promise<void> {
    if (this.fail) throw this.fail;
    this.sent.push(`AT+EIMS=${enabled ? 1 : 0}`);
  }
  async setModemVolte(enabled: boolean): Promise<void> {
    if (this.fail) throw this.fail;
    this.sent.push(`AT+EIMSVOLTE=${enabled ? 1 : 0}`);
  }
  ciregu(r: ImsRegistration): void {
    this.imsRegistration = r;
    this.emit('ims-registration', r);
  }
}

function make(d = new FakeDriver(), imsi: string | null = '001010000000001'): { d: FakeDriver; b: ModemImsBackend; changes: () => number } {
  const b = new ModemImsBackend({ driver: d as ModemImsControl, imsi: imsi ?? undefined, logger: silentLogger });
  let n = 0;
  b.events.on('change', () => n++);
  return { d, b, changes: () => n };
}

const props = (b: ModemImsBackend): [boolean, boolean | undefined, boolean | undefined] => [b.registered, b.voiceCapable, b.smsCapable];

describe('daemon/composition ModemImsBackend (Mode=modem-ims)', () => {
  it('follows +CIREGU: registered, voice from <ext_info> bit 1, SMS from bit 4, a change event each time', () => {
    const { d, b, changes } = make();
    assert.equal(b.imsi, '001010000000001');
    assert.deepEqual(props(b), [false, undefined, undefined], 'nothing known before the first +CIREGU');
    d.ciregu({ registered: true, extInfo: 5 });
    assert.deepEqual(props(b), [true, true, true]);
    assert.equal(changes(), 1);
    d.ciregu({ registered: true, extInfo: 5 });
    assert.equal(changes(), 1, 'the same registration again is no change');
    d.ciregu({ registered: true, extInfo: 4 });
    assert.deepEqual(props(b), [true, false, true], 'registered for SMS only: no voice');
    d.ciregu({ registered: true, extInfo: 1 });
    assert.deepEqual(props(b), [true, true, false]);
    d.ciregu({ registered: true });
    assert.deepEqual(props(b), [true, true, undefined], '+CIREG=1 form: registered counts as voice, SMS unknown');
    d.ciregu({ registered: false });
    assert.deepEqual(props(b), [false, false, undefined]);
    assert.equal(changes(), 5);
    d.ciregu({ registered: true, extInfo: 1 });
    d.emit('modem-reset');
    assert.deepEqual(props(b), [false, undefined, undefined], 'a modem reset forgets the registration');
    assert.equal(changes(), 7);
  });

  it('starts from the registration the driver already has', () => {
    const d = new FakeDriver();
    d.imsRegistration = { registered: true, extInfo: 1 };
    assert.deepEqual(props(make(d).b), [true, true, false]);
  });

  it('register() switches VoLTE and IMS on unless the modem is registered or its IMS is on; unregister() switches IMS off', async () => {
    const { d, b } = make();
    await b.register();
    assert.deepEqual(d.sent, ['AT+EIMSVOLTE=1', 'AT+EIMS=1']);
    d.modemImsEnabled = true;
    await b.register();
    assert.equal(d.sent.length, 2, 'the modem is registering by itself');
    await b.unregister();
    assert.deepEqual(d.sent.slice(2), ['AT+EIMS=0']);
    await b.register();
    assert.deepEqual(d.sent.slice(3), ['AT+EIMSVOLTE=1', 'AT+EIMS=1'], 'after unregister() register() switches it on again');
    d.ciregu({ registered: true, extInfo: 5 });
    d.modemImsEnabled = false;
    await b.register();
    assert.equal(d.sent.length, 5, 'no-op while registered');
  });

  it('driver errors are ImsBackendError Failed; after close() NotAllowed, and the modem is left as it is', async () => {
    const { d, b, changes } = make(new FakeDriver(), null);
    assert.equal(b.imsi, undefined);
    d.fail = new Error('AT+EIMS=1: +CME ERROR: 100');
    await assert.rejects(b.register(), (e: unknown) => e instanceof ImsBackendError && e.code === 'Failed' && /CME ERROR: 100/.test(e.message));
    await assert.rejects(b.unregister(), (e: unknown) => e instanceof ImsBackendError && e.code === 'Failed');
    d.fail = undefined;
    b.close();
    assert.deepEqual(d.sent, [], 'close() sends nothing');
    await assert.rejects(b.register(), (e: unknown) => e instanceof ImsBackendError && e.code === 'NotAllowed');
    d.ciregu({ registered: true });
    assert.equal(changes(), 0, 'no longer following the driver');
  });
});
