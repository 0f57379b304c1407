// Opens an AT channel on a serial device or pseudo-terminal through npm `serialport` (its native
// binding puts the tty in raw mode: no echo, no CR/LF translation). Loaded only with Modem=at.
import { AtStreamChannel, type AtStreamChannelOptions } from './channel.js';
import { AtError } from './types.js';

export interface SerialChannelOptions extends AtStreamChannelOptions {
  device: string;
  /** default 115200 (a pty ignores it) */
  baudRate?: number;
}

export async function openSerialChannel(options: SerialChannelOptions): Promise<AtStreamChannel> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: options.device, baudRate: options.baudRate ?? 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((e) => (e ? reject(new AtError('open', undefined, `cannot open ${options.device}: ${e.message}`)) : resolve()));
  });
  return new AtStreamChannel(port, { name: options.device, ...options });
}
