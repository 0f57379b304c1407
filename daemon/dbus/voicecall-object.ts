// org.ofono.VoiceCall at <modem>/voicecallNN (oFono doc/voicecall-api.txt). The call itself is not
// driven from here yet: Answer/Hangup/Deflect answer NotImplemented until ims/call exists.
import type { BusConnection, ExportedObject } from './binding.js';
import { notImplemented } from './errors.js';
import { VOICE_CALL } from './interfaces.js';
import { changedNames, toDict, variantOf, type PropertyMap } from './properties.js';

export type CallState = 'active' | 'held' | 'dialing' | 'alerting' | 'incoming' | 'waiting' | 'disconnected';
export type DisconnectReason = 'local' | 'remote' | 'network';

export interface CallProperties extends PropertyMap {
  LineIdentification: string;
  IncomingLine?: string;
  Name: string;
  Multiparty: boolean;
  State: CallState;
  StartTime?: string;
  Information?: string;
  Icon?: number;
  Emergency: boolean;
  RemoteHeld: boolean;
  RemoteMultiparty: boolean;
}

export class VoiceCallObject {
  #props: CallProperties;
  readonly #exported: ExportedObject;

  constructor(conn: BusConnection, readonly path: string, initial: CallProperties) {
    this.#props = { ...initial };
    this.#exported = conn.exportObject(path, VOICE_CALL, {
      GetProperties: () => toDict(this.#props),
      Answer: () => Promise.reject(notImplemented('VoiceCall.Answer')),
      Hangup: () => Promise.reject(notImplemented('VoiceCall.Hangup')),
      Deflect: () => Promise.reject(notImplemented('VoiceCall.Deflect')),
    });
  }

  get properties(): Readonly<CallProperties> {
    return this.#props;
  }

  update(change: Partial<CallProperties>): void {
    const next = { ...this.#props, ...change } as CallProperties;
    for (const name of changedNames(this.#props, next)) this.#exported.emit('PropertyChanged', name, variantOf(next[name]!));
    this.#props = next;
  }

  /** DisconnectReason comes before the final State change (voicecall-api.txt) */
  disconnect(reason: DisconnectReason): void {
    this.#exported.emit('DisconnectReason', reason);
    this.update({ State: 'disconnected' });
  }

  unexport(): void {
    this.#exported.unexport();
  }
}
