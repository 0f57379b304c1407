// The media hooks of the MediaTek driver: how RTP would be handed to the modem is not publicly
// documented (COMMANDS.md "Media"), so the requests are checked and recorded, as the simulated
// driver does, and imsd's own media is used unless [Modem] ModemRtp says otherwise.
import { ModemDriverError, type MediaSession } from '../driver.js';
import type { MediaRecord } from '../simulated/simulated-driver.js';

export class RecordedMedia {
  /** every request, in order */
  readonly log: MediaRecord[] = [];
  readonly #sessions = new Map<string, MediaSession>();

  constructor(private readonly hasTelephoneEvent: () => boolean) {}

  start(session: MediaSession): void {
    this.#sessions.set(session.callId, structuredClone(session));
    this.log.push({ op: 'start', session: structuredClone(session) });
  }

  update(session: MediaSession): void {
    if (!this.#sessions.has(session.callId)) throw new ModemDriverError('updateMedia', `no media for call ${session.callId}`);
    this.#sessions.set(session.callId, structuredClone(session));
    this.log.push({ op: 'update', session: structuredClone(session) });
  }

  stop(callId: string): void {
    if (!this.#sessions.delete(callId)) return;
    this.log.push({ op: 'stop', callId });
  }

  tones(callId: string, tones: string): void {
    if (!this.hasTelephoneEvent()) throw new ModemDriverError('sendTones', 'this media side has no telephone-event');
    if (!this.#sessions.has(callId)) throw new ModemDriverError('sendTones', `no media for call ${callId}`);
    this.log.push({ op: 'tones', callId, tones });
  }

  /** the modem restarted: no call has media any more */
  clear(): void {
    this.#sessions.clear();
  }
}
