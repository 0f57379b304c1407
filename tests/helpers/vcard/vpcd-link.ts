// The card side of vsmartcard's vpcd protocol: a TCP client of the vpcd reader driver inside
// pcscd. Every message is a 2-byte big-endian length and a payload; a 1-byte payload is a control
// message (00 power off, 01 power on, 02 reset, 04 get ATR, answered with the ATR), anything else
// is a C-APDU answered with an R-APDU.
import { connect, type Socket } from 'node:net';

export interface VpcdCard {
  atr: Buffer;
  reset(): void;
  handle(apdu: Buffer): Promise<Buffer>;
}

const CTRL_POWER_OFF = 0x00;
const CTRL_POWER_ON = 0x01;
const CTRL_RESET = 0x02;
const CTRL_GET_ATR = 0x04;

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(payload.length);
  return Buffer.concat([head, payload]);
}

/** Connects (retrying while the driver is not listening yet) and serves the card until the socket closes. */
export async function connectVpcd(card: VpcdCard, port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port }, () => { s.off('error', reject); resolve(s); });
        s.once('error', reject);
      });
      serve(socket, card);
      return socket;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`vpcd on ${host}:${port} did not accept a connection: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function serve(socket: Socket, card: VpcdCard): void {
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  // Messages are answered strictly in order.
  let chain: Promise<void> = Promise.resolve();
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = Buffer.from(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
      chain = chain.then(async () => {
        // A failing card engine answers 6F00 (technical problem) rather than falling silent.
        const reply = await answer(card, msg).catch(() => Buffer.from([0x6f, 0x00]));
        if (reply !== null && !socket.destroyed) socket.write(frame(reply));
      });
    }
  });
  socket.on('error', () => socket.destroy());
}

async function answer(card: VpcdCard, msg: Buffer): Promise<Buffer | null> {
  if (msg.length === 1) {
    switch (msg[0]) {
      case CTRL_POWER_OFF:
      case CTRL_POWER_ON:
      case CTRL_RESET:
        card.reset();
        return null;
      case CTRL_GET_ATR:
        return card.atr;
      default:
        return null;
    }
  }
  return card.handle(msg);
}
