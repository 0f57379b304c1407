import { strict as assert } from 'node:assert';
import { OfonoError } from '../../../../daemon/dbus/errors.js';
import { VoiceCallManagerObject } from '../../../../daemon/dbus/voicecall-manager-object.js';
import type { CallProperties } from '../../../../daemon/dbus/voicecall-object.js';
import { Variant } from '../../../../daemon/dbus/binding.js';
import { FakeBus } from './fake-bus.js';

const VCM = 'org.ofono.VoiceCallManager';
const incoming: CallProperties = {
  LineIdentification: '+15559999',
  Name: '',
  Multiparty: false,
  State: 'incoming',
  Emergency: false,
  RemoteHeld: false,
  RemoteMultiparty: false,
};

async function ofonoError(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof OfonoError && e.errorName === name);
}

describe('dbus: VoiceCallManager and VoiceCall objects', () => {
  let bus: FakeBus;
  let vcm: VoiceCallManagerObject;

  beforeEach(() => {
    bus = new FakeBus();
    vcm = new VoiceCallManagerObject(bus, '/ril_0');
    vcm.export();
  });

  it('CallAdded comes before any PropertyChanged of the call; DisconnectReason, State=disconnected, then CallRemoved', () => {
    const call = vcm.addCall(incoming);
    call.update({ State: 'active', StartTime: '2026-11-23T18:00:00+0000' });
    vcm.removeCall(call.path, 'remote');
    assert.deepEqual(
      bus.emitted.map((e) => `${e.path} ${e.signal} ${e.signal === 'PropertyChanged' ? `${String(e.args[0])}=${String((e.args[1] as Variant).value)}` : String(e.args[0])}`),
      [
        '/ril_0 CallAdded /ril_0/voicecall01',
        '/ril_0/voicecall01 PropertyChanged State=active',
        '/ril_0/voicecall01 PropertyChanged StartTime=2026-11-23T18:00:00+0000',
        '/ril_0/voicecall01 DisconnectReason remote',
        '/ril_0/voicecall01 PropertyChanged State=disconnected',
        '/ril_0 CallRemoved /ril_0/voicecall01',
      ],
    );
    assert.equal(bus.objects.has('/ril_0/voicecall01'), false);
  });

  it('call paths are never reused and GetCalls lists the live ones with their properties', async () => {
    const first = vcm.addCall(incoming);
    vcm.removeCall(first.path, 'local');
    const second = vcm.addCall({ ...incoming, State: 'dialing' });
    assert.equal(second.path, '/ril_0/voicecall02');
    const calls = (await bus.invoke('/ril_0', VCM, 'GetCalls')) as [string, Record<string, Variant>][];
    assert.equal(calls.length, 1);
    assert.equal(calls[0][0], '/ril_0/voicecall02');
    assert.equal(calls[0][1].State.value, 'dialing');
    assert.equal(calls[0][1].StartTime, undefined, 'unknown properties are absent');
  });

  it('Dial checks the number and hide_callerid (InvalidFormat) before answering NotImplemented', async () => {
    await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '', ''), 'InvalidFormat');
    await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '+1-555', ''), 'InvalidFormat');
    await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '1'.repeat(81), ''), 'InvalidFormat');
    await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '+15559999', 'yes'), 'InvalidFormat');
    for (const hide of ['', 'default', 'enabled', 'disabled']) {
      await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '+1555*9999#', hide), 'NotImplemented');
    }
  });

  it('call methods answer NotImplemented; GetProperties shows EmergencyNumbers', async () => {
    const call = vcm.addCall(incoming);
    for (const m of ['Answer', 'Hangup']) await ofonoError(bus.invoke(call.path, 'org.ofono.VoiceCall', m), 'NotImplemented');
    const props = (await bus.invoke('/ril_0', VCM, 'GetProperties')) as Record<string, Variant>;
    assert.deepEqual(props.EmergencyNumbers, new Variant('as', ['112', '911']));
  });
});
