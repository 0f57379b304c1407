// ModemImsCallsBackend against a fake MediatekDriver: ModemCall states as oFono's CallState, the
// approval step, disconnect reasons from who hung up and the 24.008 cause, and the errors.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { CallBackendError, type CallInfo } from '../../../../daemon/dbus/backend.js';
import { ModemImsCallsBackend, type ModemImsCallControl } from '../../../../daemon/composition/modem-ims-calls-backend.js';
import { silentLogger } from '../../../../daemon/log/logger.js';
import type { ModemCall } from '../../../../modem-drivers/mediatek/calls.js';

class FakeDriver extends EventEmitter {
  readonly ops: string[] = [];
  fail: Error | undefined;
  nextId = 1;
  call(c: Partial<ModemCall> & Pick<ModemCall, 'id' | 'state'>): void {
    this.emit('call', { direction: 'outgoing', number: '+15559999', remoteHeld: false, inbandTones: false, ...c });
  }
  async dial(number: string): Promise<ModemCall> {
    this.ops.push(`dial ${number}`);
    if (this.fail) throw this.fail;
    const c: ModemCall = { id: this.nextId++, direction: 'outgoing', number, state: 'dialing', remoteHeld: false, inbandTones: false };
    this.emit('call', { ...c }); // +ECPI 130 comes before ATD's promise settles
    return c;
  }
  async approveIncoming(id: number, accept = true): Promise<void> {
    this.ops.push(`approve ${id} ${accept}`);
  }
  async #op(s: string): Promise<void> {
    this.ops.push(s);
    if (this.fail) throw this.fail;
  }
  answer(): Promise<void> {
    return this.#op('answer');
  }
  hangup(id: number): Promise<void> {
    return this.#op(`hangup ${id}`);
  }
  hangupAll(): Promise<void> {
    return this.#op('hangupAll');
  }
  chld(n: 1 | 2): Promise<void> {
    return this.#op(`chld ${n}`);
  }
  sendModemTones(tones: string): Promise<void> {
    return this.#op(`tones ${tones}`);
  }
}

function make(): { d: FakeDriver; b: ModemImsCallsBackend; log: string[] } {
  const d = new FakeDriver();
  const b = new ModemImsCallsBackend({ driver: d as ModemImsCallControl, logger: silentLogger });
  const log: string[] = [];
  for (const ev of ['added', 'changed', 'removed'] as const) {
    b.events.on(ev, (c: CallInfo) => log.push(`${ev} ${c.id} ${c.state}${c.disconnectReason ? ` ${c.disconnectReason}` : ''}${c.earlyMedia ? ' early-media' : ''}${c.remoteHeld ? ' remote-held' : ''}`));
  }
  return { d, b, log };
}

const code = (c: string) => (e: unknown) => e instanceof CallBackendError && e.code === c;

describe('daemon/composition ModemImsCallsBackend (Mode=modem-ims)', () => {
  it('an MO call: dial resolves with the dialing call; alerting (in-band tones), active, remote hold; hung up by us: local', async () => {
    const { d, b, log } = make();
    const call = await b.dial('+15559999', 'default');
    assert.deepEqual({ ...call }, { id: '1', direction: 'outgoing', state: 'dialing', lineIdentification: '+15559999', name: '', remoteHeld: false, emergency: false, earlyMedia: false });
    d.call({ id: 1, state: 'alerting', inbandTones: true });
    d.call({ id: 1, state: 'active' });
    d.call({ id: 1, state: 'active' });
    d.call({ id: 1, state: 'active', remoteHeld: true });
    assert.match(b.calls[0]!.startTime!, /^\d{4}-\d\d-\d\dT/);
    await b.hangup('1');
    d.call({ id: 1, state: 'released', cause: 16 });
    assert.deepEqual(b.calls, []);
    assert.deepEqual(log, ['added 1 dialing', 'changed 1 alerting early-media', 'changed 1 active', 'changed 1 active remote-held', 'removed 1 disconnected local remote-held']);
    assert.deepEqual(d.ops, ['dial +15559999', 'hangup 1']);
  });

  it('an MT call is approved at once and shown when it rings; answer; released by the far end (cause 16): remote, "cause 16"', async () => {
    const { d, b, log } = make();
    let removed: CallInfo | undefined;
    b.events.on('removed', (c: CallInfo) => (removed = c));
    d.call({ id: 2, state: 'approval', direction: 'incoming', number: '+15551234', seqNo: 7 });
    assert.deepEqual(d.ops, ['approve 2 true']);
    assert.equal(b.calls.length, 0, 'not shown while the modem waits for approval');
    d.call({ id: 2, state: 'incoming', direction: 'incoming', number: '+15551234' });
    assert.equal(b.calls[0]!.state, 'incoming');
    assert.equal(b.calls[0]!.direction, 'incoming');
    await b.answer(b.calls[0]!.id);
    d.call({ id: 2, state: 'active', direction: 'incoming', number: '+15551234' });
    d.call({ id: 2, state: 'released', direction: 'incoming', number: '+15551234', cause: 16 });
    assert.deepEqual(log, ['added 1 incoming', 'changed 1 active', 'removed 1 disconnected remote']);
    assert.match(removed!.information!, /^cause 16 \(normal call clearing\)$/);
    assert.deepEqual(d.ops, ['approve 2 true', 'answer']);
  });

  it('disconnect reasons: busy (17) remote, other causes and a modem reset network; an incoming call without number is withheld', () => {
    const { d, log } = make();
    d.call({ id: 1, state: 'dialing' });
    d.call({ id: 1, state: 'released', cause: 17 });
    d.call({ id: 1, state: 'dialing' });
    d.call({ id: 1, state: 'released', cause: 38 }); // 24.008: network out of order
    d.call({ id: 3, state: 'incoming', direction: 'incoming', number: '' });
    d.call({ id: 3, state: 'released', direction: 'incoming' });
    assert.deepEqual(log, ['added 1 dialing', 'removed 1 disconnected remote', 'added 2 dialing', 'removed 2 disconnected network', 'added 3 incoming', 'removed 3 disconnected network'], 'ids are not reused although the modem reuses its call id 1');
  });

  it('a second incoming call while one is active is waiting; hold-and-answer, swap and release-and-answer are +CHLD', async () => {
    const { d, b, log } = make();
    d.call({ id: 1, state: 'active' });
    d.call({ id: 2, state: 'incoming', direction: 'incoming', number: '+15551234' });
    assert.deepEqual(b.calls.map((c) => c.state), ['active', 'waiting']);
    d.call({ id: 2, state: 'incoming', direction: 'incoming', number: '+15551234', inbandTones: false });
    await b.holdAndAnswer();
    d.call({ id: 1, state: 'held' });
    d.call({ id: 2, state: 'active', direction: 'incoming' });
    await b.swapCalls();
    await b.releaseAndAnswer();
    d.call({ id: 2, state: 'released', direction: 'incoming', cause: 16 });
    assert.deepEqual(d.ops, ['chld 2', 'chld 2', 'chld 1']);
    assert.deepEqual(log.slice(-1), ['removed 2 disconnected local'], 'the active call released by release-and-answer is ours');
  });

  it('refuses emergency numbers (NotImplemented), bad numbers (InvalidFormat), CLIR choices, DTMF without an active call or with bad digits; driver errors are Failed', async () => {
    const { d, b } = make();
    await assert.rejects(b.dial('112', 'default'), code('NotImplemented'));
    await assert.rejects(b.dial('911', 'default'), code('NotImplemented'));
    await assert.rejects(b.dial('123;ATH', 'default'), code('InvalidFormat'));
    await assert.rejects(b.dial('', 'default'), code('InvalidFormat'));
    await assert.rejects(b.dial('+15559999', 'enabled'), code('NotImplemented'));
    await assert.rejects(b.sendTones('1'), code('Failed'), 'no active call');
    assert.deepEqual(d.ops, []);
    assert.deepEqual(b.emergencyNumbers, ['112', '911']);
    await assert.rejects(b.answer('9'), code('NotFound'));
    await assert.rejects(b.hangup('9'), code('NotFound'));
    d.fail = new Error('ATD refused: NO CARRIER');
    await assert.rejects(b.dial('+15559999', ''), (e: unknown) => code('Failed')(e) && /NO CARRIER/.test((e as Error).message));
    d.call({ id: 4, state: 'active' });
    await assert.rejects(b.hangup(b.calls[0]!.id), code('Failed'));
    await assert.rejects(b.holdAndAnswer(), code('Failed'));
  });

  it('close() hangs every call up (ATH) and removes what the modem did not release in time as local', async () => {
    const { d, b, log } = make();
    d.call({ id: 1, state: 'active' });
    d.call({ id: 2, state: 'held' });
    setTimeout(() => d.call({ id: 3, state: 'approval', direction: 'incoming', seqNo: 1 }), 5);
    setTimeout(() => d.call({ id: 1, state: 'released', cause: 16 }), 10);
    await b.close(200);
    assert.deepEqual(d.ops, ['hangupAll', 'approve 3 false'], 'while stopping an incoming call is refused');
    assert.deepEqual(log.slice(2), ['removed 1 disconnected local', 'removed 2 disconnected local']);
    await assert.rejects(b.dial('+15559999', 'default'), code('NotAllowed'));
    d.call({ id: 4, state: 'incoming', direction: 'incoming' });
    assert.deepEqual(b.calls, [], 'no longer following the driver');
  });

  it('SendTones on the active call goes to the modem (AT+VTS); bad digits are InvalidFormat', async () => {
    const { d, b } = make();
    await b.dial('+15559999', '');
    d.call({ id: 1, state: 'active' });
    await b.sendTones('12#');
    assert.deepEqual(d.ops, ['dial +15559999', 'tones 12#']);
    await assert.rejects(b.sendTones('1;ATH'), code('InvalidFormat'));
    d.fail = new Error('AT+VTS refused: ERROR');
    await assert.rejects(b.sendTones('5'), code('Failed'));
  });
});
