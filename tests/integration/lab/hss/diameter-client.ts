// A minimal Diameter client over TCP for tests: send a request, await the answer with its hop-by-hop id.
import { connect, type Socket } from 'node:net';
import { decodeMessage, encodeMessage } from '../../../../lab/diameter/codec.js';
import { DiameterFramer } from '../../../../lab/diameter/framer.js';
import type { DiameterMessage } from '../../../../lab/diameter/message.js';

export class TestDiameterClient {
  private readonly framer = new DiameterFramer();
  private readonly waiting = new Map<number, (m: DiameterMessage) => void>();
  private nextId = 1;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk)) {
        const msg = decodeMessage(frame);
        this.waiting.get(msg.hopByHop)?.(msg);
        this.waiting.delete(msg.hopByHop);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(host: string, port: number): Promise<TestDiameterClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new TestDiameterClient(s)));
      s.once('error', reject);
    });
  }

  request(msg: Omit<DiameterMessage, 'hopByHop' | 'endToEnd' | 'request' | 'error'>, timeoutMs = 3000): Promise<DiameterMessage> {
    const id = this.nextId++;
    const full: DiameterMessage = { ...msg, request: true, error: false, hopByHop: id, endToEnd: 0x1000 + id };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to command ${msg.commandCode}`)), timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.socket.write(encodeMessage(full));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
