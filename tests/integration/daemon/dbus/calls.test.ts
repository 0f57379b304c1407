// VoiceCallManager/VoiceCall on a real dbus-daemon, standalone mode (org.ofono), driven by a test
// CallBackend: what a dialer sees on the wire for dialled, incoming and concurrent calls, and the
// oFono error names for refused requests and bad arguments.
import { strict as assert } from 'node:assert';
import { CallBackendError } from '../../../../daemon/dbus/backend.js';
import { connectBus, DbusCallError, type BusConnection, type SignalMessage, type Variant } from '../../../../daemon/dbus/binding.js';
import { command, requirePrerequisites } from '../../../helpers/prereq.js';
import { startPrivateBus, type PrivateBus } from './helpers/private-bus.js';
import { useServicePerTest, startWithCalls } from './helpers/service-per-test.js';
import { ScriptedCallBackend } from './helpers/scripted-call-backend.js';

const VCM = 'org.ofono.VoiceCallManager';
const VC = 'org.ofono.VoiceCall';
const MODEM = '/imsd_0';

type Props = Record<string, Variant>;

async function rejectsWith(p: Promise<unknown>, errorName: string): Promise<DbusCallError> {
  let caught: DbusCallError | undefined;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DbusCallError, String(e));
    assert.equal(e.errorName, errorName, e.message);
    caught = e;
    return true;
  });
  return caught!;
}

/** a signal as one line: "<path> <member> <arg>", PropertyChanged as name=value */
function line(s: SignalMessage): string {
  const [a, b] = s.body;
  const arg = s.member === 'PropertyChanged' ? `${String(a)}=${String((b as Variant).value)}` : String(a);
  return `${s.path} ${s.member} ${arg}`;
}

describe('dbus: calls on VoiceCallManager/VoiceCall with a CallBackend (private dbus-daemon)', function () {
  let bus: PrivateBus;
  let calls: ScriptedCallBackend;
  let client: BusConnection;
  let signals: SignalMessage[];

  const vcm = (member: string, signature = '', args: unknown[] = []) => client.call('org.ofono', MODEM, VCM, member, signature, args);
  const vc = (path: string, member: string) => client.call('org.ofono', path, VC, member);
  const dial = async (number: string, hide = '') => String((await vcm('Dial', 'ss', [number, hide]))[0]);
  const seen = () => signals.filter((s) => s.interface === VCM || s.interface === VC).map(line);
  const until = async (what: () => boolean, label: string) => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(what(), `${label} not reached within 2 s; signals: ${JSON.stringify(seen())}`);
  };
  const untilSignal = (text: string) => until(() => seen().includes(text), text);

  before(async function () {
    requirePrerequisites(this, [command('dbus-daemon')]);
    bus = await startPrivateBus();
    client = await connectBus(bus.address);
    signals = [];
    await client.subscribe({ sender: 'org.ofono' }, (s) => signals.push(s));
  });

  const t = useServicePerTest(async (slot) => {
    calls = new ScriptedCallBackend();
    signals.length = 0;
    slot.service = await startWithCalls(bus.address, MODEM, slot.stateDir, calls);
  });

  after(async () => {
    client?.close();
    await bus?.stop();
  });

  it('Dial answers the new call\'s path after its CallAdded; dialing -> alerting -> active -> remote hangup in oFono\'s signal order', async () => {
    const path = await dial('+15559999', 'disabled');
    // the client reads the bus in order: the signal was handled before the reply resolved Dial
    assert.deepEqual(seen(), [`${MODEM} CallAdded ${MODEM}/voicecall01`]);
    assert.equal(path, `${MODEM}/voicecall01`);
    assert.deepEqual(calls.ops, ['dial +15559999 disabled']);
    const added = signals.find((s) => s.member === 'CallAdded')!.body[1] as Props;
    assert.equal(added.State.value, 'dialing');
    assert.equal(added.LineIdentification.value, '+15559999');
    assert.equal(added.Emergency.value, false);

    const id = calls.idIn('dialing');
    calls.set(id, { state: 'alerting' });
    calls.answered(id);
    await untilSignal(`${path} PropertyChanged State=active`);
    const props = (await vc(path, 'GetProperties'))[0] as Props;
    assert.equal(props.State.value, 'active');
    assert.match(String(props.StartTime.value), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
    calls.end(id, 'remote');
    await untilSignal(`${MODEM} CallRemoved ${path}`);
    assert.deepEqual(seen(), [
      `${MODEM} CallAdded ${path}`,
      `${path} PropertyChanged State=alerting`,
      `${path} PropertyChanged State=active`,
      `${path} PropertyChanged StartTime=${String(props.StartTime.value)}`,
      `${path} DisconnectReason remote`,
      `${path} PropertyChanged State=disconnected`,
      `${MODEM} CallRemoved ${path}`,
    ]);
    // the object is gone (dbus-next answers UnknownMethod for a path it no longer exports)
    await assert.rejects(vc(path, 'GetProperties'), (e: unknown) => e instanceof DbusCallError && /Unknown(Object|Method)$/.test(e.errorName));
    const modemXml = String((await client.call('org.ofono', MODEM, 'org.freedesktop.DBus.Introspectable', 'Introspect'))[0]);
    assert.doesNotMatch(modemXml, /voicecall01/);
    assert.deepEqual(await vcm('GetCalls'), [[]]);
  });

  it('an incoming call arrives as CallAdded with State incoming; Answer and Hangup reach the backend for that call', async () => {
    const { id } = calls.incoming('+15550002', 'Alice');
    await untilSignal(`${MODEM} CallAdded ${MODEM}/voicecall01`);
    const added = signals.find((s) => s.member === 'CallAdded')!.body[1] as Props;
    assert.equal(added.State.value, 'incoming');
    assert.equal(added.LineIdentification.value, '+15550002');
    assert.equal(added.Name.value, 'Alice');
    const [[listed]] = (await vcm('GetCalls')) as [[string, Props][]];
    assert.equal(listed![0], `${MODEM}/voicecall01`);
    assert.equal(listed![1].State.value, 'incoming');
    await vc(`${MODEM}/voicecall01`, 'Answer');
    await untilSignal(`${MODEM}/voicecall01 PropertyChanged State=active`);
    await vc(`${MODEM}/voicecall01`, 'Hangup');
    await untilSignal(`${MODEM} CallRemoved ${MODEM}/voicecall01`);
    assert.deepEqual(calls.ops, [`answer ${id}`, `hangup ${id}`]);
    assert.ok(seen().indexOf(`${MODEM}/voicecall01 DisconnectReason local`) < seen().indexOf(`${MODEM}/voicecall01 PropertyChanged State=disconnected`));
  });

  it('a rejected incoming call (Hangup while incoming) and a call the far end never answers (Hangup while alerting)', async () => {
    const inc = calls.incoming('+15550003');
    await untilSignal(`${MODEM} CallAdded ${MODEM}/voicecall01`);
    await vc(`${MODEM}/voicecall01`, 'Hangup');
    const path = await dial('+15559999');
    calls.set(calls.idIn('dialing'), { state: 'alerting' });
    await untilSignal(`${path} PropertyChanged State=alerting`);
    await vc(path, 'Hangup');
    await untilSignal(`${MODEM} CallRemoved ${path}`);
    assert.deepEqual(calls.ops, [`hangup ${inc.id}`, 'dial +15559999 ""', 'hangup c2']);
  });

  it('call paths are never reused while the service runs', async () => {
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      const path = await dial('+15559999');
      paths.push(path);
      await vc(path, 'Hangup');
    }
    const { id } = calls.incoming('+15550002');
    await untilSignal(`${MODEM} CallAdded ${MODEM}/voicecall04`);
    calls.end(id, 'remote');
    assert.deepEqual(paths, [1, 2, 3].map((n) => `${MODEM}/voicecall0${n}`));
  });

  it('concurrent calls: a waiting call during an active one, HoldAndAnswer, SwapCalls, ReleaseAndAnswer, HangupAll', async () => {
    const first = await dial('+15559999');
    calls.answered(calls.idIn('dialing'));
    const waiting = calls.incoming('+15550002');
    await untilSignal(`${MODEM} CallAdded ${MODEM}/voicecall02`);
    const second = `${MODEM}/voicecall02`;
    assert.equal((((await vc(second, 'GetProperties'))[0]) as Props).State.value, 'waiting');
    await rejectsWith(vc(second, 'Answer'), 'org.ofono.Error.Failed'); // oFono: Answer is for incoming calls
    await rejectsWith(vcm('SwapCalls'), 'org.ofono.Error.Failed'); // not while a call waits
    await vcm('HoldAndAnswer');
    await untilSignal(`${second} PropertyChanged State=active`);
    assert.ok(seen().includes(`${first} PropertyChanged State=held`));
    await vcm('SwapCalls');
    await untilSignal(`${second} PropertyChanged State=held`);
    await untilSignal(`${first} PropertyChanged State=active`);
    const third = calls.incoming('+15550003');
    await untilSignal(`${MODEM} CallAdded ${MODEM}/voicecall03`);
    await rejectsWith(vcm('HoldAndAnswer'), 'org.ofono.Error.Failed'); // active + held already
    await rejectsWith(dial('+15559998'), 'org.ofono.Error.Failed'); // active + held already
    await vcm('ReleaseAndAnswer');
    await untilSignal(`${MODEM} CallRemoved ${first}`);
    await untilSignal(`${MODEM}/voicecall03 PropertyChanged State=active`);
    const listed = ((await vcm('GetCalls'))[0] as [string, Props][]).map(([p, c]) => `${p} ${String(c.State.value)}`);
    assert.deepEqual(listed, [`${second} held`, `${MODEM}/voicecall03 active`]);
    await vcm('HangupAll');
    await untilSignal(`${MODEM} CallRemoved ${second}`);
    await untilSignal(`${MODEM} CallRemoved ${MODEM}/voicecall03`);
    assert.deepEqual(calls.ops, ['dial +15559999 ""', 'holdAndAnswer', 'swapCalls', 'releaseAndAnswer', 'hangupAll']);
    assert.deepEqual(await vcm('GetCalls'), [[]]);
    await vcm('HangupAll'); // no call: answered at once, the backend is not asked
    assert.equal(calls.ops.length, 5);
    assert.ok(waiting.id && third.id);
  });

  it('a second request while one is under way is InProgress', async () => {
    let open!: () => void;
    calls.dialGate = new Promise((r) => (open = r));
    const first = dial('+15559999');
    await until(() => calls.ops.length === 1, 'dial under way');
    await rejectsWith(dial('+15559998'), 'org.ofono.Error.InProgress');
    await rejectsWith(vcm('HangupAll'), 'org.ofono.Error.InProgress');
    open();
    assert.equal(await first, `${MODEM}/voicecall01`);
    await vcm('HangupAll');
  });

  it('SendTones goes to the backend upper-cased once a call is connected', async () => {
    await rejectsWith(vcm('SendTones', 's', ['123']), 'org.ofono.Error.Failed');
    const path = await dial('+15559999');
    calls.answered(calls.idIn('dialing'));
    await untilSignal(`${path} PropertyChanged State=active`);
    await vcm('SendTones', 's', ['1a#*9p']);
    assert.deepEqual(calls.ops.slice(-1), ['sendTones 1A#*9P']);
  });

  it('backend errors keep their oFono names; an unexpected error is Failed without internals', async () => {
    const e = await rejectsWith(dial('112'), 'org.ofono.Error.NotImplemented');
    assert.match(e.message, /emergency/);
    calls.fail.dial = new CallBackendError('NotAllowed', 'not registered to IMS');
    await rejectsWith(dial('+15559999'), 'org.ofono.Error.NotAllowed');
    calls.fail.dial = new CallBackendError('InProgress', 'busy');
    await rejectsWith(dial('+15559999'), 'org.ofono.Error.InProgress');
    delete calls.fail.dial;
    const { id } = calls.incoming('+15550002');
    await untilSignal(`${MODEM} CallAdded ${MODEM}/voicecall01`);
    calls.fail.answer = new CallBackendError('NotFound', 'no such call');
    await rejectsWith(vc(`${MODEM}/voicecall01`, 'Answer'), 'org.ofono.Error.NotFound');
    calls.fail.hangup = new Error('socket exploded at /work/secret/path');
    const internal = await rejectsWith(vc(`${MODEM}/voicecall01`, 'Hangup'), 'org.ofono.Error.Failed');
    assert.doesNotMatch(internal.message, /exploded|\/work\/|at /);
    assert.deepEqual(calls.ops, ['dial 112 ""', 'dial +15559999 ""', 'dial +15559999 ""', `answer ${id}`, `hangup ${id}`]);
    assert.deepEqual(seen(), [`${MODEM} CallAdded ${MODEM}/voicecall01`], 'refused requests export nothing');
  });

  it('bad arguments: InvalidFormat for a bad number, CLIR or tones, InvalidArguments for a wrong signature; unsupported methods NotImplemented', async () => {
    await rejectsWith(dial('555-9999'), 'org.ofono.Error.InvalidFormat');
    await rejectsWith(dial('+15559999', 'hidden'), 'org.ofono.Error.InvalidFormat');
    await rejectsWith(vcm('Dial', 's', ['+15559999']), 'org.ofono.Error.InvalidArguments');
    await rejectsWith(vcm('SendTones', 's', ['12E']), 'org.ofono.Error.InvalidFormat');
    await rejectsWith(vcm('SendTones', 's', ['']), 'org.ofono.Error.InvalidFormat');
    for (const m of ['DialLast', 'Transfer', 'ReleaseAndSwap', 'CreateMultiparty', 'HangupMultiparty']) await rejectsWith(vcm(m), 'org.ofono.Error.NotImplemented');
    await rejectsWith(vcm('DialMemory', 'ss', ['1', '']), 'org.ofono.Error.NotImplemented');
    await rejectsWith(vcm('PrivateChat', 'o', [`${MODEM}/voicecall01`]), 'org.ofono.Error.NotImplemented');
    const path = await dial('+15559999');
    await rejectsWith(client.call('org.ofono', path, VC, 'Deflect', 's', ['+15550003']), 'org.ofono.Error.NotImplemented');
    await rejectsWith(client.call('org.ofono', path, VC, 'Answer', 's', ['now']), 'org.ofono.Error.InvalidArguments');
    assert.deepEqual(calls.ops, ['dial +15559999 ""']);
    const props = (await vcm('GetProperties'))[0] as Props;
    assert.deepEqual(props.EmergencyNumbers.value, ['112', '911']);
  });

  it('calls present when the service starts are exported; close() leaves no call object and stops following the backend', async () => {
    await t.service?.close();
    calls.incoming('+15550002');
    const service = await startWithCalls(bus.address, MODEM, t.stateDir, calls);
    t.service = service;
    const [[listed]] = (await vcm('GetCalls')) as [[string, Props][]];
    assert.equal(listed![0], `${MODEM}/voicecall01`);
    await service.close();
    t.service = undefined;
    assert.equal(calls.events.listenerCount('added') + calls.events.listenerCount('changed') + calls.events.listenerCount('removed'), 0);
  });

  it('a second service that cannot own the name leaves no listener on its CallBackend', async () => {
    const other = new ScriptedCallBackend();
    await assert.rejects(
      startWithCalls(bus.address, MODEM, t.stateDir, other),
      /taken/,
    );
    assert.equal(other.events.listenerCount('added') + other.events.listenerCount('changed') + other.events.listenerCount('removed'), 0);
  });
});
