// The local QoS of a call's media (RFC 3312 "local" segment): met while a QCI 1 bearer is up
// (TS 23.203 6.1.7.2, conversational voice); a driver that reports no bearers counts as met.
import { EventEmitter } from 'node:events';
import type { BearerInfo, ModemDriver } from '../../../modem-drivers/driver.js';

export const VOICE_QCI = 1;

export class VoiceBearerWatch extends EventEmitter {
  readonly #voice = new Set<number>();
  readonly #driver: ModemDriver;
  readonly #up = (b: BearerInfo): void => this.#set(b);
  readonly #modified = (b: BearerInfo): void => this.#set(b);
  readonly #down = (id: number): void => {
    const was = this.ready;
    this.#voice.delete(id);
    if (was !== this.ready) this.emit('change', this.ready);
  };
  readonly #reset = (): void => {
    const was = this.ready;
    this.#voice.clear();
    if (was !== this.ready) this.emit('change', this.ready);
  };

  constructor(driver: ModemDriver) {
    super();
    this.#driver = driver;
    driver.on('bearer-up', this.#up);
    driver.on('bearer-modified', this.#modified);
    driver.on('bearer-down', this.#down);
    driver.on('modem-reset', this.#reset);
    driver.on('pdn-down', this.#reset);
  }

  #set(b: BearerInfo): void {
    const was = this.ready;
    if (b.qci === VOICE_QCI) this.#voice.add(b.id);
    else this.#voice.delete(b.id);
    if (was !== this.ready) this.emit('change', this.ready);
  }

  /** the local segment's resources are reserved */
  get ready(): boolean {
    return !this.#driver.capabilities.bearerEvents || this.#voice.size > 0;
  }

  close(): void {
    this.#driver.off('bearer-up', this.#up);
    this.#driver.off('bearer-modified', this.#modified);
    this.#driver.off('bearer-down', this.#down);
    this.#driver.off('modem-reset', this.#reset);
    this.#driver.off('pdn-down', this.#reset);
    this.removeAllListeners();
  }
}
