// One TCP connection carrying SIP: frames the stream, answers RFC 5626 pings with a pong,
// and reports messages, pongs and framing errors.
import type { Socket } from 'node:net';
import { FramingError, StreamFramer, type StreamFramerOptions } from './stream-framer.js';
import type { Peer } from './transport.js';

export interface ConnectionHandlers {
  onMessage(conn: TcpConnection, data: Buffer): void;
  onPong(conn: TcpConnection): void;
  onFramingError(conn: TcpConnection, error: FramingError, raw: Buffer): void;
  onClose(conn: TcpConnection): void;
}

let nextId = 1;

export class TcpConnection {
  readonly id = `tcp-${nextId++}`;
  readonly remote: Peer;
  readonly local: Peer;
  private readonly framer: StreamFramer;
  closed = false;

  constructor(
    readonly socket: Socket,
    readonly accepted: boolean,
    handlers: ConnectionHandlers,
    framerOptions: StreamFramerOptions = {},
  ) {
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.framer = new StreamFramer({ ...framerOptions, expectPings: accepted });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let events;
      try {
        events = this.framer.push(chunk);
      } catch (e) {
        handlers.onFramingError(this, e as FramingError, chunk);
        socket.destroy();
        return;
      }
      for (const ev of events) {
        if (ev.type === 'message') handlers.onMessage(this, ev.data);
        else if (ev.type === 'ping') this.write(Buffer.from('\r\n')); // RFC 5626 4.4.1: answer a ping with a pong
        else handlers.onPong(this);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      handlers.onClose(this);
    });
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) {
        reject(new Error(`connection ${this.id} is closed`));
        return;
      }
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
