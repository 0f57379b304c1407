// Opening the AT channel to a MediaTek modem from `[Modem] Device` (COMMANDS.md "The channel"): a
// Unix socket (a bridge to rild's ATCI path) or a tty/pty (a CCCI channel, or a scripted modem in
// tests). The channel knows MediaTek's URCs besides the 27.007 ones.
import { stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { Logger } from '../../daemon/log/logger.js';
import { AtStreamChannel } from '../at/channel.js';
import { DEFAULT_URC_PREFIXES } from '../at/result-codes.js';
import { openSerialChannel } from '../at/serial.js';
import { ModemDriverError } from '../driver.js';
import { MEDIATEK_URC_PREFIXES } from './driver.js';

export interface OpenMediatekOptions {
  device: string;
  logger?: Logger;
  /** default command timeout (ms) */
  timeoutMs?: number;
}

export async function openMediatekChannel(options: OpenMediatekOptions): Promise<AtStreamChannel> {
  const urcPrefixes = [...DEFAULT_URC_PREFIXES, ...MEDIATEK_URC_PREFIXES];
  const common = { urcPrefixes, name: options.device, ...(options.logger ? { logger: options.logger } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) };
  let isSocket: boolean;
  try {
    isSocket = (await stat(options.device)).isSocket();
  } catch (e) {
    throw new ModemDriverError('open', `cannot open ${options.device}: ${(e as Error).message}`);
  }
  if (!isSocket) return openSerialChannel({ device: options.device, ...common });
  const socket = createConnection(options.device);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (e) => reject(new ModemDriverError('open', `cannot connect to ${options.device}: ${e.message}`)));
  });
  return new AtStreamChannel(socket, common);
}
