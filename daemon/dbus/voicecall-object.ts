// org.ofono.VoiceCall at <modem>/voicecallNN (oFono doc/voicecall-api.txt). Shows one call's
// properties and announces every change; Answer/Hangup go to the actions the manager gives it
// (without actions, as without a CallBackend, they answer NotImplemented).
import type { DisconnectReason } from './backend.js';
import type { BusConnection, ExportedObject } from './binding.js';
import type { CallProperties } from './call-properties.js';
import { notImplemented } from './errors.js';
import { VOICE_CALL } from './interfaces.js';
import { changedNames, toDict, variantOf } from './properties.js';

export type { CallProperties } from './call-properties.js';
export type { CallState, DisconnectReason } from './backend.js';

export interface CallActions {
  answer(): Promise<void>;
  hangup(): Promise<void>;
}

export class VoiceCallObject {
  #props: CallProperties;
  readonly #exported: ExportedObject;

  constructor(conn: BusConnection, readonly path: string, initial: CallProperties, actions?: CallActions) {
    this.#props = { ...initial };
    this.#exported = conn.exportObject(path, VOICE_CALL, {
      GetProperties: () => toDict(this.#props),
      Answer: () => (actions ? actions.answer() : Promise.reject(notImplemented('VoiceCall.Answer'))),
      Hangup: () => (actions ? actions.hangup() : Promise.reject(notImplemented('VoiceCall.Hangup'))),
      Deflect: () => Promise.reject(notImplemented('VoiceCall.Deflect')),
    });
  }

  get properties(): Readonly<CallProperties> {
    return this.#props;
  }

  /**
   * PropertyChanged for each property that changed, in the order of CallProperties. When the
   * call becomes disconnected, DisconnectReason (if known) comes right before State=disconnected
   * and after every other change (voicecall-api.txt; oFono src/voicecall.c
   * ofono_voicecall_disconnected).
   */
  update(change: Partial<CallProperties>, reason?: DisconnectReason): void {
    const before = this.#props;
    const next = { ...before, ...change } as CallProperties;
    const disconnecting = next.State === 'disconnected' && before.State !== 'disconnected';
    this.#props = next;
    for (const name of changedNames(before, next)) {
      if (disconnecting && name === 'State') continue;
      this.#exported.emit('PropertyChanged', name, variantOf(next[name]!));
    }
    if (disconnecting) {
      if (reason) this.#exported.emit('DisconnectReason', reason);
      this.#exported.emit('PropertyChanged', 'State', variantOf('disconnected'));
    }
  }

  /** DisconnectReason, then State=disconnected (no-op when already disconnected) */
  disconnect(reason?: DisconnectReason): void {
    this.update({ State: 'disconnected' }, reason);
  }

  unexport(): void {
    this.#exported.unexport();
  }
}
