// The calls a CallBackend reports, as VoiceCall objects: `added` -> exported at
// <modem>/voicecallNN (never reused while the daemon runs) and CallAdded; `changed` ->
// PropertyChanged per changed property; `removed` -> the last changes, DisconnectReason,
// State=disconnected, CallRemoved, unexported (oFono doc/voicecall-api.txt, src/voicecall.c).
import type { Logger } from '../log/logger.js';
import type { CallBackend, CallInfo, CallState } from './backend.js';
import type { BusConnection } from './binding.js';
import { callProperties, type CallProperties } from './call-properties.js';
import { toDict } from './properties.js';
import { VoiceCallObject, type CallActions } from './voicecall-object.js';

interface Tracked {
  id: string;
  object: VoiceCallObject;
}

export interface CallTrackerOptions {
  /** VoiceCallManager's CallAdded/CallRemoved */
  emit: (signal: 'CallAdded' | 'CallRemoved', ...args: unknown[]) => void;
  /** what a call object's Answer/Hangup do */
  actionsFor: (id: string) => CallActions;
  log?: Logger;
}

export class CallTracker {
  /** live calls by path, in the order they came (GetCalls) */
  readonly #byPath = new Map<string, Tracked>();
  readonly #byId = new Map<string, Tracked>();
  #nextCall = 1;
  #dialInFlight = false;
  /** calls removed while a Dial waited for the backend: Dial still answers with their path */
  readonly #goneDuringDial = new Map<string, string>();
  #backend: CallBackend | undefined;
  readonly #listeners: [string, (info: CallInfo) => void][] = [
    ['added', (info) => this.#guard('added', () => this.#onAdded(info))],
    ['changed', (info) => this.#guard('changed', () => this.#onChanged(info))],
    ['removed', (info) => this.#guard('removed', () => this.#onRemoved(info))],
  ];

  constructor(
    private readonly conn: BusConnection,
    private readonly modemPath: string,
    private readonly o: CallTrackerOptions,
  ) {}

  /** the backend's current calls are exported, then its events followed */
  follow(backend: CallBackend): void {
    this.#backend = backend;
    for (const [event, listener] of this.#listeners) backend.events.on(event, listener);
    for (const info of backend.calls) this.#onAdded(info);
  }

  /** stops following and unexports every call (no CallRemoved: the manager goes away too) */
  stop(): void {
    if (this.#backend) for (const [event, listener] of this.#listeners) this.#backend.events.off(event, listener);
    this.#backend = undefined;
    for (const call of this.#byPath.values()) call.object.unexport();
    this.#byPath.clear();
    this.#byId.clear();
  }

  get size(): number {
    return this.#byPath.size;
  }

  states(): CallState[] {
    return [...this.#byPath.values()].map((c) => c.object.properties.State);
  }

  /** a call that is gone counts as disconnected */
  stateOf(id: string): CallState {
    return this.#byId.get(id)?.object.properties.State ?? 'disconnected';
  }

  list(): [string, Readonly<CallProperties>][] {
    return [...this.#byPath.values()].map((c) => [c.object.path, c.object.properties]);
  }

  /**
   * Runs the backend's dial() and answers the path of its call once CallAdded went out: whether
   * the backend announced the call before dial() resolved, after, or not at all, and also when
   * the call was already over by then.
   */
  async dial(work: () => Promise<CallInfo>): Promise<string> {
    this.#dialInFlight = true;
    try {
      const info = await work();
      const known = this.#byId.get(info.id)?.object.path ?? this.#goneDuringDial.get(info.id);
      if (known) return known;
      const path = this.#add(info).object.path;
      if (info.state === 'disconnected') this.#remove(info);
      return path;
    } finally {
      this.#dialInFlight = false;
      this.#goneDuringDial.clear();
    }
  }

  /** a backend listener must never throw into the call service: failures are logged */
  #guard(event: string, work: () => void): void {
    try {
      work();
    } catch (e) {
      this.o.log?.error('call event not shown on D-Bus', { event, error: e instanceof Error ? e.message : String(e) });
    }
  }

  #onAdded(info: CallInfo): void {
    if (this.#byId.has(info.id)) return this.#onChanged(info);
    this.#add(info);
    if (info.state === 'disconnected') this.#remove(info);
  }

  #onChanged(info: CallInfo): void {
    const call = this.#byId.get(info.id);
    if (!call) return this.#onAdded(info);
    call.object.update(callProperties(info), info.disconnectReason);
  }

  #onRemoved(info: CallInfo): void {
    if (!this.#byId.has(info.id)) {
      if (!this.#dialInFlight) {
        this.o.log?.warning('the call backend removed a call it never announced', { id: info.id });
        return;
      }
      // gone before Dial got its answer: show the whole life so the path Dial returns was real
      this.#add(info);
    }
    this.#remove(info);
  }

  #add(info: CallInfo): Tracked {
    const path = `${this.modemPath === '/' ? '' : this.modemPath}/voicecall${String(this.#nextCall++).padStart(2, '0')}`;
    // a call first seen already over is shown as it began, so that its end can be announced
    const begun: CallState = info.direction === 'incoming' ? 'incoming' : 'dialing';
    const props = callProperties({ ...info, state: info.state === 'disconnected' ? begun : info.state });
    const call: Tracked = { id: info.id, object: new VoiceCallObject(this.conn, path, props, this.o.actionsFor(info.id)) };
    this.#byPath.set(path, call);
    this.#byId.set(info.id, call);
    this.o.emit('CallAdded', path, toDict(props));
    return call;
  }

  #remove(info: CallInfo): void {
    const call = this.#byId.get(info.id);
    if (!call) return;
    call.object.update({ ...callProperties(info), State: 'disconnected' }, info.disconnectReason);
    this.#byId.delete(info.id);
    this.#byPath.delete(call.object.path);
    call.object.unexport();
    this.o.emit('CallRemoved', call.object.path);
    if (this.#dialInFlight) this.#goneDuringDial.set(info.id, call.object.path);
  }
}
