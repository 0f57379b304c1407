import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { RegistrationBackend } from '../../../../daemon/composition/ims-backend.js';
import { ImsBackendError } from '../../../../daemon/dbus/backend.js';
import type { RegistrationSnapshot, RegistrationState } from '../../../../daemon/ims/registration/machine.js';
import type { Registration } from '../../../../daemon/ims/registration/service.js';
import { silentLogger } from '../../../../daemon/log/logger.js';

/** a stand-in for the registration service: the test moves its state */
class FakeRegistration implements Registration {
  readonly events = new EventEmitter();
  readonly sip = undefined;
  onInvite = undefined;
  calls: string[] = [];
  #snap: RegistrationSnapshot = { state: 'idle', impus: [], serviceRoute: [] };
  get snapshot(): RegistrationSnapshot {
    return structuredClone(this.#snap);
  }
  set(state: RegistrationState): void {
    this.#snap = { ...this.#snap, state };
    this.events.emit('state', this.snapshot);
  }
  async deregister(): Promise<void> {
    this.calls.push('deregister');
    this.set('deregistered');
  }
  async register(): Promise<void> {
    this.calls.push('register');
    this.set('registering');
  }
  async stop(timeoutMs?: number): Promise<void> {
    this.calls.push(`stop ${timeoutMs}`);
  }
}

describe('daemon/composition RegistrationBackend', () => {
  it('starts the registration on the first register() only, then follows its state', async () => {
    const fake = new FakeRegistration();
    let starts = 0;
    const b = new RegistrationBackend({ imsi: '001010000000001', logger: silentLogger, start: async () => (starts++, fake) });
    const changes: boolean[] = [];
    b.events.on('change', () => changes.push(b.registered));
    assert.equal(b.registered, false);
    assert.equal(b.voiceCapable, undefined);
    await b.unregister(); // nothing started: nothing to do
    assert.equal(starts, 0);
    await Promise.all([b.register(), b.register()]);
    assert.equal(starts, 1);
    fake.set('authenticating');
    assert.equal(b.registered, false);
    fake.set('registered');
    assert.equal(b.registered, true);
    // no call service given: registered without MMTel service behind it
    assert.equal(b.voiceCapable, false);
    assert.equal(b.smsCapable, false);
    fake.set('reregistering');
    assert.equal(b.registered, true);
    await b.register(); // registered: a no-op
    assert.deepEqual(fake.calls, []);
    await b.unregister();
    assert.equal(b.registered, false);
    await b.register();
    assert.deepEqual(fake.calls, ['deregister', 'register']);
    assert.deepEqual(changes, [true, false]);
    assert.equal(b.imsi, '001010000000001');
  });

  it('a registration that cannot start rejects with ImsBackendError Failed, and may be tried again', async () => {
    let n = 0;
    const b = new RegistrationBackend({
      imsi: undefined,
      logger: silentLogger,
      start: async () => {
        if (n++ === 0) throw new Error('address in use');
        return new FakeRegistration();
      },
    });
    await assert.rejects(b.register(), (e: unknown) => e instanceof ImsBackendError && e.code === 'Failed' && /address in use/.test(e.message));
    await b.register();
    assert.equal(n, 2);
  });

  it('close() stops the registration and refuses register() afterwards', async () => {
    const fake = new FakeRegistration();
    const b = new RegistrationBackend({ imsi: undefined, logger: silentLogger, start: async () => fake });
    await b.register();
    await b.close(3000);
    assert.deepEqual(fake.calls, ['stop 3000']);
    await assert.rejects(b.register(), (e: unknown) => e instanceof ImsBackendError && e.code === 'NotAllowed');
  });

  describe('with a call service', () => {
    /** records attach() as the composition's LateCallBackend would */
    class Attachment {
      attached = false;
      seen: Registration[] = [];
      fail = false;
      attach(reg: Registration): void {
        this.seen.push(reg);
        if (this.fail) throw new Error('no RTP port free');
        this.attached = true;
      }
    }

    it('attaches the registration once it exists; VoiceCapable is true while registered, false when not', async () => {
      const fake = new FakeRegistration();
      const calls = new Attachment();
      const b = new RegistrationBackend({ imsi: undefined, logger: silentLogger, calls, start: async () => fake });
      const seen: (boolean | undefined)[] = [];
      b.events.on('change', () => seen.push(b.voiceCapable));
      assert.deepEqual(calls.seen, []);
      await b.register();
      assert.deepEqual(calls.seen, [fake]);
      assert.equal(b.voiceCapable, undefined, 'unknown until the first registration');
      fake.set('registered');
      assert.equal(b.voiceCapable, true);
      fake.set('reregistering');
      assert.equal(b.voiceCapable, true);
      await b.unregister();
      assert.equal(b.voiceCapable, false);
      await b.register();
      fake.set('registered');
      assert.deepEqual(seen, [true, false, true]);
      assert.equal(calls.seen.length, 1, 'attached once for the life of the registration');
    });

    it('a call service that cannot start leaves the registration going, VoiceCapable false', async () => {
      const fake = new FakeRegistration();
      const calls = new Attachment();
      calls.fail = true;
      const b = new RegistrationBackend({ imsi: undefined, logger: silentLogger, calls, start: async () => fake });
      await b.register();
      fake.set('registered');
      assert.equal(b.registered, true);
      assert.equal(b.voiceCapable, false);
    });
  });
});
