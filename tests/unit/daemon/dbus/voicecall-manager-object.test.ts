import { strict as assert } from 'node:assert';
import { CallBackendError } from '../../../../daemon/dbus/backend.js';
import { Variant } from '../../../../daemon/dbus/binding.js';
import { OfonoError } from '../../../../daemon/dbus/errors.js';
import { VoiceCallManagerObject } from '../../../../daemon/dbus/voicecall-manager-object.js';
import { ScriptedCallBackend } from '../../../integration/daemon/dbus/helpers/scripted-call-backend.js';
import { FakeBus, type Emitted } from './fake-bus.js';

const VCM = 'org.ofono.VoiceCallManager';
const VC = 'org.ofono.VoiceCall';

async function ofonoError(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OfonoError, String(e));
    assert.equal(e.errorName, name, e.message);
    return true;
  });
}

/** "<path> <signal> <arg>" with PropertyChanged as name=value */
const line = (e: Emitted): string =>
  `${e.path} ${e.signal} ${e.signal === 'PropertyChanged' ? `${String(e.args[0])}=${String((e.args[1] as Variant).value)}` : String(e.args[0])}`;

describe('dbus: VoiceCallManager and VoiceCall objects', () => {
  let bus: FakeBus;

  describe('without a CallBackend', () => {
    let vcm: VoiceCallManagerObject;
    beforeEach(() => {
      bus = new FakeBus();
      vcm = new VoiceCallManagerObject(bus, '/ril_0');
      vcm.export();
      vcm.start();
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

    it('every call method answers NotImplemented; GetCalls is empty; EmergencyNumbers are oFono\'s defaults', async () => {
      for (const m of ['HangupAll', 'HoldAndAnswer', 'ReleaseAndAnswer', 'SwapCalls', 'Transfer', 'ReleaseAndSwap', 'DialLast', 'CreateMultiparty', 'HangupMultiparty']) {
        await ofonoError(bus.invoke('/ril_0', VCM, m), 'NotImplemented');
      }
      await ofonoError(bus.invoke('/ril_0', VCM, 'SendTones', '1x'), 'InvalidFormat');
      await ofonoError(bus.invoke('/ril_0', VCM, 'SendTones', '123'), 'NotImplemented');
      assert.deepEqual(await bus.invoke('/ril_0', VCM, 'GetCalls'), []);
      const props = (await bus.invoke('/ril_0', VCM, 'GetProperties')) as Record<string, Variant>;
      assert.deepEqual(props.EmergencyNumbers, new Variant('as', ['112', '911']));
    });
  });

  describe('driven by a CallBackend', () => {
    let backend: ScriptedCallBackend;
    let vcm: VoiceCallManagerObject;
    const signals = () => bus.emitted.map(line);

    beforeEach(() => {
      bus = new FakeBus();
      backend = new ScriptedCallBackend();
      vcm = new VoiceCallManagerObject(bus, '/ril_0', { backend });
      vcm.export();
      vcm.start();
    });

    afterEach(() => vcm.stop());

    for (const announce of ['before', 'after', 'never'] as const) {
      it(`Dial answers the path of one new call whose CallAdded came first (backend announces ${announce})`, async () => {
        backend.announceDial = announce;
        const path = await bus.invoke('/ril_0', VCM, 'Dial', '+15559999', 'enabled');
        assert.equal(path, '/ril_0/voicecall01');
        assert.deepEqual(signals(), ['/ril_0 CallAdded /ril_0/voicecall01'], 'CallAdded is sent before the reply');
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(signals(), ['/ril_0 CallAdded /ril_0/voicecall01'], 'a late added event is not a second call');
        assert.deepEqual(backend.ops, ['dial +15559999 enabled']);
        const props = bus.emitted[0]!.args[1] as Record<string, Variant>;
        assert.equal(props.State.value, 'dialing');
        assert.equal(props.LineIdentification.value, '+15559999');
      });
    }

    it('dialing -> alerting -> active -> remote hangup: PropertyChanged each, then DisconnectReason, State=disconnected, CallRemoved', async () => {
      await bus.invoke('/ril_0', VCM, 'Dial', '+15559999', '');
      const id = backend.idIn('dialing');
      backend.set(id, { state: 'alerting', earlyMedia: true });
      backend.answered(id);
      backend.set(id, { remoteHeld: true });
      backend.end(id, 'remote', 'BYE');
      const startTime = String(((bus.emitted.find((e) => e.args[0] === 'StartTime')?.args[1]) as Variant).value);
      assert.match(startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/, 'oFono time format');
      assert.deepEqual(signals(), [
        '/ril_0 CallAdded /ril_0/voicecall01',
        '/ril_0/voicecall01 PropertyChanged State=alerting',
        '/ril_0/voicecall01 PropertyChanged State=active',
        `/ril_0/voicecall01 PropertyChanged StartTime=${startTime}`,
        '/ril_0/voicecall01 PropertyChanged RemoteHeld=true',
        '/ril_0/voicecall01 PropertyChanged Information=BYE',
        '/ril_0/voicecall01 DisconnectReason remote',
        '/ril_0/voicecall01 PropertyChanged State=disconnected',
        '/ril_0 CallRemoved /ril_0/voicecall01',
      ]);
      assert.equal(bus.objects.has('/ril_0/voicecall01'), false);
    });

    it('each changed CallInfo field is one PropertyChanged; an unchanged or unshown field (earlyMedia) is none', async () => {
      await bus.invoke('/ril_0', VCM, 'Dial', '+15559999', '');
      const id = backend.idIn('dialing');
      bus.emitted.length = 0;
      backend.set(id, { lineIdentification: '+15559990', name: 'Bob' });
      backend.set(id, { emergency: true });
      backend.set(id, { earlyMedia: true });
      backend.set(id, {});
      backend.set(id, { remoteHeld: true, information: '183 Session Progress' });
      assert.deepEqual(signals(), [
        '/ril_0/voicecall01 PropertyChanged LineIdentification=+15559990',
        '/ril_0/voicecall01 PropertyChanged Name=Bob',
        '/ril_0/voicecall01 PropertyChanged Emergency=true',
        '/ril_0/voicecall01 PropertyChanged Information=183 Session Progress',
        '/ril_0/voicecall01 PropertyChanged RemoteHeld=true',
      ]);
      const props = (await bus.invoke('/ril_0/voicecall01', VC, 'GetProperties')) as Record<string, Variant>;
      assert.equal(props.LineIdentification.value, '+15559990');
      assert.equal(props.EarlyMedia, undefined);
    });

    it('a backend that reports disconnected in changed and then removed: DisconnectReason once, before State', () => {
      const { id } = backend.incoming('+15550002');
      backend.set(id, { state: 'disconnected', disconnectReason: 'network' });
      backend.end(id, 'network');
      assert.deepEqual(signals().slice(1), [
        '/ril_0/voicecall01 DisconnectReason network',
        '/ril_0/voicecall01 PropertyChanged State=disconnected',
        '/ril_0 CallRemoved /ril_0/voicecall01',
      ]);
    });

    it('an incoming call: CallAdded with State incoming; Answer and Hangup reach the backend', async () => {
      const { id } = backend.incoming('+15550002', 'Alice');
      const added = bus.emitted[0]!;
      assert.equal(line(added), '/ril_0 CallAdded /ril_0/voicecall01');
      const props = added.args[1] as Record<string, Variant>;
      assert.equal(props.State.value, 'incoming');
      assert.equal(props.Name.value, 'Alice');
      assert.equal(props.StartTime, undefined, 'StartTime only once active');
      await bus.invoke('/ril_0/voicecall01', VC, 'Answer');
      await bus.invoke('/ril_0/voicecall01', VC, 'Hangup');
      assert.deepEqual(backend.ops, [`answer ${id}`, `hangup ${id}`]);
      assert.deepEqual(signals().slice(-3), ['/ril_0/voicecall01 DisconnectReason local', '/ril_0/voicecall01 PropertyChanged State=disconnected', '/ril_0 CallRemoved /ril_0/voicecall01']);
    });

    it('paths are never reused and GetCalls lists the live calls in the order they came', async () => {
      const a = backend.incoming('+15550002');
      backend.end(a.id, 'remote');
      const b = backend.incoming('+15550003');
      await bus.invoke('/ril_0/voicecall02', VC, 'Answer');
      assert.equal(await bus.invoke('/ril_0', VCM, 'Dial', '+15559999', ''), '/ril_0/voicecall03');
      assert.equal(backend.call(b.id).state, 'active');
      const calls = (await bus.invoke('/ril_0', VCM, 'GetCalls')) as [string, Record<string, Variant>][];
      assert.deepEqual(calls.map(([p, c]) => `${p} ${String(c.State.value)}`), ['/ril_0/voicecall02 active', '/ril_0/voicecall03 dialing']);
    });

    it('oFono\'s rules: Dial refused while a call is incoming, Answer only on incoming, tones need a connected call (Failed)', async () => {
      const { id } = backend.incoming('+15550002');
      await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '+15559999', ''), 'Failed');
      await ofonoError(bus.invoke('/ril_0', VCM, 'SendTones', '1'), 'Failed');
      await ofonoError(bus.invoke('/ril_0', VCM, 'HoldAndAnswer'), 'Failed');
      await ofonoError(bus.invoke('/ril_0', VCM, 'ReleaseAndAnswer'), 'Failed');
      await bus.invoke('/ril_0/voicecall01', VC, 'Answer');
      await ofonoError(bus.invoke('/ril_0/voicecall01', VC, 'Answer'), 'Failed');
      await bus.invoke('/ril_0', VCM, 'SendTones', '12abp#*');
      assert.deepEqual(backend.ops, [`answer ${id}`, 'sendTones 12ABP#*']);
    });

    it('a second request while one is under way is InProgress; GetCalls still answers', async () => {
      let open!: () => void;
      backend.dialGate = new Promise((r) => (open = r));
      const dial = bus.invoke('/ril_0', VCM, 'Dial', '+15559999', '');
      await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '+15559998', ''), 'InProgress');
      await ofonoError(bus.invoke('/ril_0', VCM, 'HangupAll'), 'InProgress');
      assert.deepEqual(await bus.invoke('/ril_0', VCM, 'GetCalls'), []);
      open();
      assert.equal(await dial, '/ril_0/voicecall01');
      await bus.invoke('/ril_0', VCM, 'HangupAll');
      assert.deepEqual(backend.ops, ['dial +15559999 ""', 'hangupAll']);
    });

    it('backend errors become org.ofono.Error.<code>; other errors pass unchanged (the binding answers Failed)', async () => {
      await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '112', ''), 'NotImplemented');
      backend.fail.dial = new CallBackendError('NotAllowed', 'not registered');
      await ofonoError(bus.invoke('/ril_0', VCM, 'Dial', '+15559999', ''), 'NotAllowed');
      const bug = new Error('boom');
      backend.fail.dial = bug;
      await assert.rejects(bus.invoke('/ril_0', VCM, 'Dial', '+15559999', ''), (e) => e === bug);
      delete backend.fail.dial;
      await bus.invoke('/ril_0', VCM, 'Dial', '+15559999', '');
      assert.equal(bus.emitted.length, 1, 'failed dials export nothing');
    });

    for (const announce of ['before', 'never'] as const) {
      it(`a call removed before Dial returned: Dial answers its path, whose whole life was announced (announced ${announce})`, async () => {
        backend.announceDial = announce;
        backend.afterDial = (call) => backend.end(call.id, 'network', '503 Service Unavailable');
        assert.equal(await bus.invoke('/ril_0', VCM, 'Dial', '+15559999', ''), '/ril_0/voicecall01');
        // never announced: the call is first seen with its Information already set
        assert.deepEqual(signals(), [
          '/ril_0 CallAdded /ril_0/voicecall01',
          ...(announce === 'before' ? ['/ril_0/voicecall01 PropertyChanged Information=503 Service Unavailable'] : []),
          '/ril_0/voicecall01 DisconnectReason network',
          '/ril_0/voicecall01 PropertyChanged State=disconnected',
          '/ril_0 CallRemoved /ril_0/voicecall01',
        ]);
        const added = bus.emitted[0]!.args[1] as Record<string, Variant>;
        assert.equal(added.State.value, 'dialing', 'shown as it began');
        assert.deepEqual(await bus.invoke('/ril_0', VCM, 'GetCalls'), []);
      });
    }

    it('stop() stops following the backend; calls already there are exported at start', () => {
      vcm.stop();
      backend.incoming('+15550002');
      assert.deepEqual(signals(), []);
      const again = new VoiceCallManagerObject(bus, '/ril_0', { backend });
      again.export();
      again.start();
      assert.deepEqual(signals(), ['/ril_0 CallAdded /ril_0/voicecall01']);
      again.stop();
    });

    it('EmergencyNumbers come from the backend', async () => {
      backend.emergencyNumbers = ['112', '911', '999'];
      const props = (await bus.invoke('/ril_0', VCM, 'GetProperties')) as Record<string, Variant>;
      assert.deepEqual(props.EmergencyNumbers, new Variant('as', ['112', '911', '999']));
    });
  });
});
