// oFono has no media API: until AP RTP exists, the ofono driver accepts the media hooks and records
// them as the simulated driver does, so calls can be set up and tests can see what was asked.
import type { MediaCapabilities, MediaSession } from '../driver.js';
import { ModemDriverError } from '../driver.js';
import type { MediaRecord } from '../simulated/simulated-driver.js';

export class MediaRecorder {
  readonly log: MediaRecord[] = [];
  readonly sessions = new Map<string, MediaSession>();

  constructor(readonly media: MediaCapabilities) {}

  start(session: MediaSession): void {
    this.sessions.set(session.callId, structuredClone(session));
    this.log.push({ op: 'start', session: structuredClone(session) });
  }

  update(session: MediaSession): void {
    if (!this.sessions.has(session.callId)) throw new ModemDriverError('updateMedia', `no media for call ${session.callId}`);
    this.sessions.set(session.callId, structuredClone(session));
    this.log.push({ op: 'update', session: structuredClone(session) });
  }

  stop(callId: string): void {
    if (this.sessions.delete(callId)) this.log.push({ op: 'stop', callId });
  }

  tones(callId: string, tones: string): void {
    if (this.media.telephoneEventRates.length === 0) throw new ModemDriverError('sendTones', 'this media side has no telephone-event');
    if (!this.sessions.has(callId)) throw new ModemDriverError('sendTones', `no media for call ${callId}`);
    this.log.push({ op: 'tones', callId, tones });
  }

  clear(): void {
    this.sessions.clear();
  }
}
