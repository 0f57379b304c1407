// TCP Diameter server (RFC 6733 2.1): accepts peers, runs the base protocol per connection
// and hands application requests to a handler. The only file of lab/diameter that opens sockets.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BasePeerState, errorAnswer, type LocalPeerIdentity } from './base-protocol.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { findAvp, readGrouped, readUnsigned32 } from './avp.js';
import { BaseAvp, baseKey, commandName, ResultCode } from './dictionary.js';
import { DiameterAvpError, DiameterDecodeError } from './errors.js';
import { DiameterFramer } from './framer.js';
import type { DiameterMessage } from './message.js';

export interface RequestLog {
  peer: string;
  command: string;
  /** Result-Code or Experimental-Result-Code of the answer. */
  result: number | undefined;
  /** Time from the request's last byte decoded to the answer written, in milliseconds. */
  elapsedMs: number;
  /** Non-secret facts the application wants logged (user name, assignment type...). */
  detail?: string;
}

export interface ApplicationAnswer {
  answer: DiameterMessage;
  detail?: string;
}

/** Answers one application request; may throw DiameterAvpError for a missing/bad AVP. */
export type ApplicationHandler = (request: DiameterMessage, peerHost: string | undefined) => ApplicationAnswer;

export interface DiameterServerOptions {
  host: string;
  port: number;
  local: LocalPeerIdentity;
  handler: ApplicationHandler;
  onRequest?: (entry: RequestLog) => void;
  onError?: (peer: string, err: Error) => void;
  /** Clock in milliseconds for the latency figures (injectable). */
  now?: () => number;
}

export interface DiameterServer {
  address: AddressInfo;
  close(): Promise<void>;
}

/** Result-Code, else Experimental-Result-Code, of an answer (for the log line). */
function resultOf(answer: DiameterMessage): number | undefined {
  const rc = findAvp(answer.avps, baseKey(BaseAvp.ResultCode));
  if (rc) return readUnsigned32(rc);
  const er = findAvp(answer.avps, baseKey(BaseAvp.ExperimentalResult));
  if (!er) return undefined;
  const erc = findAvp(readGrouped(er), baseKey(BaseAvp.ExperimentalResultCode));
  return erc ? readUnsigned32(erc) : undefined;
}

export async function startDiameterServer(opts: DiameterServerOptions): Promise<DiameterServer> {
  const now = opts.now ?? (() => performance.now());
  const sockets = new Set<Socket>();

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const framer = new DiameterFramer();
    const state = new BasePeerState(opts.local);
    const fail = (err: Error): void => {
      opts.onError?.(peer, err);
      socket.destroy();
    };
    const send = (msg: DiameterMessage, started: number, request: DiameterMessage, detail?: string): void => {
      socket.write(encodeMessage(msg));
      opts.onRequest?.({
        peer: state.peerHost ?? peer,
        command: commandName(request.commandCode, true),
        result: resultOf(msg),
        elapsedMs: now() - started,
        ...(detail === undefined ? {} : { detail }),
      });
    };

    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (err) {
        fail(err as Error);
        return;
      }
      for (const frame of frames) {
        const started = now();
        let msg: DiameterMessage;
        try {
          msg = decodeMessage(frame);
        } catch (err) {
          // RFC 6733 7.2 would allow DIAMETER_INVALID_MESSAGE_LENGTH etc., but the header ids may
          // be garbage too; a corrupt frame means the stream is untrustworthy: close it.
          fail(err as Error);
          return;
        }
        if (!msg.request) {
          // this server sends no requests, so an answer is unexpected: say so, keep the peer
          opts.onError?.(peer, new Error(`unexpected ${commandName(msg.commandCode, false)} (hop-by-hop ${msg.hopByHop})`));
          continue;
        }
        try {
          const step = state.onRequest(msg);
          if (step.kind === 'base') {
            send(step.answer, started, msg);
            if (step.close) socket.end();
            continue;
          }
          const { answer, detail } = opts.handler(msg, state.peerHost);
          send(answer, started, msg, detail);
        } catch (err) {
          if (err instanceof DiameterAvpError) {
            // RFC 6733 7.1.5: DIAMETER_MISSING_AVP / invalid AVP value
            send(errorAnswer(msg, opts.local, err.resultCode, err.message), started, msg, err.message);
          } else if (err instanceof DiameterDecodeError) {
            send(errorAnswer(msg, opts.local, ResultCode.InvalidAvpBits, err.message), started, msg, err.message);
          } else {
            opts.onError?.(peer, err as Error);
            send(errorAnswer(msg, opts.local, ResultCode.UnableToComply, 'internal error'), started, msg);
          }
        }
      }
    });
    socket.on('error', (err) => opts.onError?.(peer, err));
    socket.on('close', () => sockets.delete(socket));
  };

  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
