// An ImsBackend driven by the test: it records what the D-Bus side asked and changes state when
// the test says so (the registration engine itself is tested in tests/*/daemon/ims/registration).
import { EventEmitter } from 'node:events';
import { ImsBackendError, type ImsBackend } from '../../../../../daemon/dbus/backend.js';

export class ScriptedBackend implements ImsBackend {
  imsi: string | undefined;
  registered = false;
  voiceCapable: boolean | undefined;
  smsCapable: boolean | undefined;
  readonly events = new EventEmitter();
  readonly calls: string[] = [];
  /** when set, register() rejects with it */
  failRegister: ImsBackendError | undefined;

  constructor(imsi?: string) {
    this.imsi = imsi;
  }

  async register(): Promise<void> {
    this.calls.push('register');
    if (this.failRegister) throw this.failRegister;
    this.set({ registered: true });
  }

  async unregister(): Promise<void> {
    this.calls.push('unregister');
    this.set({ registered: false });
  }

  set(change: Partial<Pick<ScriptedBackend, 'imsi' | 'registered' | 'voiceCapable' | 'smsCapable'>>): void {
    Object.assign(this, change);
    this.events.emit('change');
  }
}
