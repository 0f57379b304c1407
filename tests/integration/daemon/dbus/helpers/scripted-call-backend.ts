// A CallBackend driven by the test (the MMTel call service itself is tested in
// tests/*/daemon/ims/call). It records every request the D-Bus side makes, acts on its calls the
// way the contract says (answer -> active, hangup -> removed 'local', HoldAndAnswer ...), and lets
// the test play the network: an incoming call, alerting, the far end answering or hanging up.
import { EventEmitter } from 'node:events';
import { CallBackendError, type CallBackend, type CallInfo, type CallState, type DisconnectReason, type HideCallerId } from '../../../../../daemon/dbus/backend.js';

export type CallOp = 'dial' | 'answer' | 'hangup' | 'hangupAll' | 'holdAndAnswer' | 'releaseAndAnswer' | 'swapCalls' | 'sendTones';

export class ScriptedCallBackend implements CallBackend {
  readonly events = new EventEmitter();
  emergencyNumbers = ['112', '911'];
  /** every request, e.g. "dial +15559999 default", "answer c2", "sendTones 1234" */
  readonly ops: string[] = [];
  /** a request of this kind rejects with the error (once set, until cleared) */
  readonly fail: Partial<Record<CallOp, Error>> = {};
  /** how dial() announces its call: 'added' before it resolves (default), after, or never */
  announceDial: 'before' | 'after' | 'never' = 'before';
  /** dial() waits for this before resolving (to hold a request under way) */
  dialGate: Promise<void> | undefined;
  /** runs once dial() has made its call, before dial() resolves (to play a fast network) */
  afterDial: ((call: CallInfo) => void) | undefined;
  readonly #calls = new Map<string, CallInfo>();
  #next = 1;

  get calls(): CallInfo[] {
    return [...this.#calls.values()].map((c) => ({ ...c }));
  }

  call(id: string): CallInfo {
    const c = this.#calls.get(id);
    if (!c) throw new Error(`no call ${id}`);
    return { ...c };
  }

  /** the id of the one call in this state */
  idIn(state: CallState): string {
    const found = [...this.#calls.values()].filter((c) => c.state === state);
    if (found.length !== 1) throw new Error(`${found.length} calls are ${state}`);
    return found[0]!.id;
  }

  #request(op: CallOp, ...args: string[]): void {
    this.ops.push([op, ...args].join(' '));
    const error = this.fail[op];
    if (error) throw error;
  }

  #create(fields: Partial<CallInfo> & Pick<CallInfo, 'direction' | 'state' | 'lineIdentification'>): CallInfo {
    const info: CallInfo = { id: `c${this.#next++}`, name: '', remoteHeld: false, emergency: false, earlyMedia: false, ...fields };
    this.#calls.set(info.id, info);
    return info;
  }

  async dial(number: string, hideCallerId: HideCallerId): Promise<CallInfo> {
    this.#request('dial', number, hideCallerId || '""');
    if (this.emergencyNumbers.includes(number)) {
      throw new CallBackendError('NotImplemented', 'IMS emergency calls are not supported: dial it on the circuit-switched side');
    }
    await this.dialGate;
    const info = this.#create({ direction: 'outgoing', state: 'dialing', lineIdentification: number });
    if (this.announceDial === 'before') this.events.emit('added', { ...info });
    if (this.announceDial === 'after') setImmediate(() => this.#calls.has(info.id) && this.events.emit('added', this.call(info.id)));
    const answer = { ...info };
    this.afterDial?.(answer);
    return answer;
  }

  async answer(id: string): Promise<void> {
    this.#request('answer', id);
    this.set(id, { state: 'active', startTime: new Date().toISOString() });
  }

  async hangup(id: string): Promise<void> {
    this.#request('hangup', id);
    this.end(id, 'local');
  }

  async hangupAll(): Promise<void> {
    this.#request('hangupAll');
    for (const c of this.calls) if (c.state !== 'waiting') this.end(c.id, 'local');
  }

  async holdAndAnswer(): Promise<void> {
    this.#request('holdAndAnswer');
    for (const c of this.calls) if (c.state === 'active') this.set(c.id, { state: 'held' });
    this.set(this.idIn('waiting'), { state: 'active', startTime: new Date().toISOString() });
  }

  async releaseAndAnswer(): Promise<void> {
    this.#request('releaseAndAnswer');
    for (const c of this.calls) if (c.state === 'active') this.end(c.id, 'local');
    this.set(this.idIn('waiting'), { state: 'active', startTime: new Date().toISOString() });
  }

  async swapCalls(): Promise<void> {
    this.#request('swapCalls');
    for (const c of this.calls) {
      if (c.state === 'active') this.set(c.id, { state: 'held' });
      else if (c.state === 'held') this.set(c.id, { state: 'active' });
    }
  }

  async sendTones(tones: string): Promise<void> {
    this.#request('sendTones', tones);
  }

  // --- the network's side, driven by the test ---

  /** an incoming call: 'waiting' while another call is active or held, else 'incoming' */
  incoming(number: string, name = ''): CallInfo {
    const busy = this.calls.some((c) => c.state === 'active' || c.state === 'held');
    const info = this.#create({ direction: 'incoming', state: busy ? 'waiting' : 'incoming', lineIdentification: number, name });
    this.events.emit('added', { ...info });
    return { ...info };
  }

  set(id: string, change: Partial<CallInfo>): void {
    const c = this.#calls.get(id);
    if (!c) throw new Error(`no call ${id}`);
    Object.assign(c, change);
    this.events.emit('changed', { ...c });
  }

  /** the far end answered our call */
  answered(id: string): void {
    this.set(id, { state: 'active', startTime: new Date().toISOString() });
  }

  end(id: string, reason: DisconnectReason, information?: string): void {
    const c = this.#calls.get(id);
    if (!c) throw new Error(`no call ${id}`);
    this.#calls.delete(id);
    Object.assign(c, { state: 'disconnected', disconnectReason: reason }, information === undefined ? {} : { information });
    this.events.emit('removed', { ...c });
  }
}
