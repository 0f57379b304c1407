import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { LateCallBackend } from '../../../../daemon/composition/call-backend.js';
import { CallBackendError, type CallInfo, type HideCallerId } from '../../../../daemon/dbus/backend.js';
import type { CallService } from '../../../../daemon/ims/call/types.js';
import type { Registration } from '../../../../daemon/ims/registration/service.js';
import { silentLogger } from '../../../../daemon/log/logger.js';

function call(id: string, state: CallInfo['state']): CallInfo {
  return { id, direction: 'outgoing', state, lineIdentification: '+15559999', name: '', remoteHeld: false, emergency: false, earlyMedia: false };
}

/** a stand-in for the call service: records what it was asked, the test emits its events */
class FakeCallService implements CallService {
  readonly events = new EventEmitter();
  readonly log: string[] = [];
  calls: CallInfo[] = [];
  emergencyNumbers = ['112', '911', '999'];
  async dial(number: string, hide: HideCallerId): Promise<CallInfo> {
    this.log.push(`dial ${number} ${hide}`);
    const c = call('c1', 'dialing');
    this.calls.push(c);
    this.events.emit('added', c);
    return c;
  }
  async answer(id: string): Promise<void> {
    this.log.push(`answer ${id}`);
  }
  async hangup(id: string): Promise<void> {
    this.log.push(`hangup ${id}`);
  }
  async hangupAll(): Promise<void> {
    this.log.push('hangupAll');
  }
  async holdAndAnswer(): Promise<void> {
    this.log.push('holdAndAnswer');
  }
  async releaseAndAnswer(): Promise<void> {
    this.log.push('releaseAndAnswer');
  }
  async swapCalls(): Promise<void> {
    this.log.push('swapCalls');
  }
  async sendTones(tones: string): Promise<void> {
    this.log.push(`sendTones ${tones}`);
  }
  async close(): Promise<void> {
    this.log.push('close');
    // the service ends its calls while closing: the last events must still reach D-Bus
    for (const c of this.calls.splice(0)) this.events.emit('removed', { ...c, state: 'disconnected', disconnectReason: 'local' });
  }
}

const registration = { events: new EventEmitter() } as unknown as Registration;

function code(c: CallBackendError['code']) {
  return (e: unknown) => e instanceof CallBackendError && e.code === c;
}

describe('daemon/composition LateCallBackend', () => {
  it('before the registration exists: Dial NotAllowed, emergency numbers NotImplemented, no calls', async () => {
    let started = 0;
    const b = new LateCallBackend({ logger: silentLogger, start: () => (started++, new FakeCallService()) });
    assert.equal(b.attached, false);
    assert.deepEqual(b.calls, []);
    assert.deepEqual(b.emergencyNumbers, ['112', '911']);
    await assert.rejects(b.dial('+15559999', ''), (e: unknown) => code('NotAllowed')(e) && /not registered/.test((e as Error).message));
    await assert.rejects(b.dial('112', 'default'), code('NotImplemented'));
    await assert.rejects(b.answer('c1'), code('NotFound'));
    await assert.rejects(b.hangup('c1'), code('NotFound'));
    await b.hangupAll();
    await assert.rejects(b.holdAndAnswer(), code('NotAllowed'));
    await assert.rejects(b.releaseAndAnswer(), code('NotAllowed'));
    await assert.rejects(b.swapCalls(), code('NotAllowed'));
    await assert.rejects(b.sendTones('1'), code('NotAllowed'));
    await b.close();
    assert.equal(started, 0);
  });

  it('attach() starts the call service once on the registration; every method and event goes through', async () => {
    const svc = new FakeCallService();
    const given: Registration[] = [];
    const b = new LateCallBackend({ logger: silentLogger, start: (reg) => (given.push(reg), svc) });
    const events: string[] = [];
    for (const name of ['added', 'changed', 'removed'] as const) b.events.on(name, (c: CallInfo) => events.push(`${name} ${c.id} ${c.state}`));
    b.attach(registration);
    b.attach(registration);
    assert.deepEqual(given, [registration]);
    assert.equal(b.attached, true);
    assert.deepEqual(b.emergencyNumbers, ['112', '911', '999'], "the service's list once it exists");
    const c = await b.dial('+15559999', 'enabled');
    assert.equal(c.state, 'dialing');
    assert.deepEqual(b.calls.map((x) => x.id), ['c1']);
    svc.events.emit('changed', call('c1', 'alerting'));
    await b.answer('c2');
    await b.hangup('c1');
    await b.hangupAll();
    await b.holdAndAnswer();
    await b.releaseAndAnswer();
    await b.swapCalls();
    await b.sendTones('12#');
    await b.dial('112', '');
    assert.deepEqual(svc.log, ['dial +15559999 enabled', 'answer c2', 'hangup c1', 'hangupAll', 'holdAndAnswer', 'releaseAndAnswer', 'swapCalls', 'sendTones 12#', 'dial 112 ']);
    assert.deepEqual(events.slice(0, 2), ['added c1 dialing', 'changed c1 alerting']);
  });

  it("close() ends the service's calls with their events forwarded, then detaches; afterwards Dial is refused", async () => {
    const svc = new FakeCallService();
    const b = new LateCallBackend({ logger: silentLogger, start: () => svc });
    b.attach(registration);
    await b.dial('+15559999', '');
    const removed: CallInfo[] = [];
    b.events.on('removed', (c: CallInfo) => removed.push(c));
    await b.close();
    assert.deepEqual(removed.map((c) => [c.id, c.state, c.disconnectReason]), [['c1', 'disconnected', 'local']]);
    assert.equal(svc.events.listenerCount('added'), 0, 'detached from the service');
    await assert.rejects(b.dial('+15559999', ''), (e: unknown) => code('NotAllowed')(e) && /shutting down/.test((e as Error).message));
    b.attach(registration);
    assert.deepEqual(svc.log.filter((l) => l === 'close'), ['close']);
  });

  it('a call service that cannot start throws from attach() and stays absent', () => {
    const b = new LateCallBackend({ logger: silentLogger, start: () => {
      throw new Error('no RTP port free');
    } });
    assert.throws(() => b.attach(registration), /no RTP port free/);
    assert.equal(b.attached, false);
  });
});
