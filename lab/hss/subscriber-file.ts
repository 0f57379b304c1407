// The subscribers file of the lab HSS: a JSON array of SubscriberEntry. Re-read when it
// changes (a running lab can add subscribers); SQN updates are written back atomically
// (temporary file + rename), keeping every other field as it was.
import { readFileSync, renameSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import type { SubscriberDirectory } from './cx-application.js';
import { HssConfigError } from './errors.js';
import { entryWithSqn, subscriberFromEntry, type Subscriber, type SubscriberEntry } from './subscriber.js';

export function parseSubscribers(text: string, domain: string): { entries: SubscriberEntry[]; subscribers: Subscriber[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HssConfigError(`subscribers file is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(json)) throw new HssConfigError('subscribers file must hold a JSON array');
  const subscribers = json.map((e, i) => subscriberFromEntry(e, i, domain));
  const seen = new Set<string>();
  for (const s of subscribers) {
    if (seen.has(s.imsi)) throw new HssConfigError(`subscriber ${s.imsi} appears twice`);
    seen.add(s.imsi);
  }
  return { entries: json as SubscriberEntry[], subscribers };
}

export class SubscriberFile implements SubscriberDirectory {
  private entries: SubscriberEntry[] = [];
  private byImsi = new Map<string, Subscriber>();
  private impiIndex = new Map<string, Subscriber>();
  private impuIndex = new Map<string, Subscriber>();
  private lastText = '';
  private watching = false;

  constructor(
    readonly path: string,
    private readonly domain: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.load(); // the first load must succeed: a typed error here stops the HSS
  }

  /** Re-reads the file; throws HssConfigError if it is malformed (the old contents stay in force). */
  load(): boolean {
    const text = readFileSync(this.path, 'utf8');
    if (text === this.lastText) return false;
    const { entries, subscribers } = parseSubscribers(text, this.domain);
    this.entries = entries;
    this.byImsi = new Map(subscribers.map((s) => [s.imsi, s]));
    this.impiIndex = new Map(subscribers.map((s) => [s.impi, s]));
    this.impuIndex = new Map(subscribers.flatMap((s) => s.impus.map((u) => [u, s] as const)));
    this.lastText = text;
    return true;
  }

  get size(): number {
    return this.byImsi.size;
  }

  watch(intervalMs = 250): void {
    if (this.watching) return;
    this.watching = true;
    // watchFile polls stat(), so it follows the path across rename-based replacements
    watchFile(this.path, { interval: intervalMs, persistent: false }, () => {
      try {
        if (this.load()) this.log(`subscribers: reloaded ${this.path} (${this.size} subscribers)`);
      } catch (err) {
        this.log(`subscribers: ${this.path} not reloaded: ${(err as Error).message}`);
      }
    });
  }

  close(): void {
    if (this.watching) unwatchFile(this.path);
    this.watching = false;
  }

  byImpi(impi: string): Subscriber | undefined {
    return this.impiIndex.get(impi);
  }

  byImpu(impu: string): Subscriber | undefined {
    return this.impuIndex.get(impu);
  }

  setSqn(imsi: string, sqn: bigint): void {
    // pick up an edit made since the last poll, so the write-back does not undo it
    try {
      if (this.load()) this.log(`subscribers: reloaded ${this.path} before an SQN update (${this.size} subscribers)`);
    } catch (err) {
      this.log(`subscribers: ${this.path} not reloaded: ${(err as Error).message}`);
    }
    const sub = this.byImsi.get(imsi);
    if (!sub) throw new HssConfigError(`subscriber ${imsi} vanished`);
    sub.sqn = sqn;
    this.entries = this.entries.map((e) => (e.imsi === imsi ? entryWithSqn(e, sqn) : e));
    const text = `${JSON.stringify(this.entries, null, 2)}\n`;
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.lastText = text;
  }
}
