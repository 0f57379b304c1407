// UDP + TCP SIP transport bound to one local address, IPv4 or IPv6, with a server port
// (port-s: UDP socket and TCP listener) and optionally client ports (port-c: UDP socket and
// the local port of outgoing TCP connections), as 3GPP sec-agree needs (TS 33.203 7.1). A new
// SA set comes with a new port-c while port-s stays (TS 33.203 7.4), so client ports can be
// added, chosen per destination or by default, and closed while the transport stays the same.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { buildErrorResponse } from '../sip/bad-request.js';
import { SipParseError } from '../sip/errors.js';
import { SipMessage, SipRequest } from '../sip/message.js';
import { formatVia, parseVia } from '../sip/header-values.js';
import { parseMessage } from '../sip/parser.js';
import { serializeMessage } from '../sip/serializer.js';
import { TcpConnection } from './tcp-connection.js';
import { type FramingError, type StreamFramerOptions } from './stream-framer.js';
import type { Destination, Peer, Protocol, Received, SendOptions, SendResult, Transport, TransportEvents } from './transport.js';

export interface SipTransportOptions {
  /** local IPv4 or IPv6 address to bind */
  localAddress: string;
  /** server port (0: ephemeral; UDP and TCP get the same number) */
  portS?: number;
  /** client port; undefined sends requests from port-s and opens TCP from ephemeral ports */
  portC?: number;
  /** RFC 3261 18.1.1: requests larger than this go over TCP (default 1300) */
  udpSizeThreshold?: number;
  framer?: StreamFramerOptions;
  /** injectable To tag generator for locally generated 400s */
  errorToTag?: () => string;
}

const key = (p: Peer): string => `${stripBrackets(p.address)}|${p.port}`;

function stripBrackets(a: string): string {
  return a.startsWith('[') && a.endsWith(']') ? a.slice(1, -1) : a;
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
    sock.once('error', reject);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', reject);
      resolve(sock);
    });
  });
}

function listenTcp(server: net.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, ipv6Only: net.isIPv6(address) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * RFC 3261 18.2.1: add "received" to the top Via when its sent-by is not the packet's source
 * address; RFC 3581 4: fill in an empty "rport" with the source port (and then always add
 * "received"), so responses find their way back through NATs.
 */
export function markReceived(req: SipRequest, source: Peer): void {
  const top = req.headers.getAll('Via')[0];
  if (top === undefined) return;
  const via = parseVia(top);
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  if (wantsRport) via.params.set('rport', String(source.port));
  if (!wantsRport && stripBrackets(via.host).toLowerCase() === source.address.toLowerCase()) return;
  via.params.set('received', source.address);
  req.headers.shift('Via');
  req.headers.prepend('Via', formatVia(via));
}

export class SipTransport extends EventEmitter implements Transport {
  private udpS!: dgram.Socket;
  /** the client ports' UDP sockets, by port */
  private readonly udpC = new Map<number, dgram.Socket>();
  /** client port for requests to one peer (key()), overriding the default portC */
  private readonly clientPortFor = new Map<string, number>();
  private readonly server = net.createServer();
  private readonly connections = new Map<string, TcpConnection>();
  private readonly byRemote = new Map<string, TcpConnection>();
  private readonly connecting = new Map<string, Promise<TcpConnection>>();
  private closing = false;
  portS = 0;
  /** the default client port requests leave from (undefined: from port-s) */
  portC?: number;

  private constructor(private readonly options: SipTransportOptions) {
    super();
  }

  /** Bind the sockets and start listening. */
  static async open(options: SipTransportOptions): Promise<SipTransport> {
    const t = new SipTransport(options);
    await t.bind();
    return t;
  }

  get localAddress(): string {
    return this.options.localAddress;
  }

  override on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this {
    return super.off(event, listener);
  }

  private async bind(): Promise<void> {
    const addr = this.options.localAddress;
    // an ephemeral port-s must be free for both UDP and TCP: retry a few times
    for (let attempt = 0; ; attempt++) {
      this.udpS = await bindUdp(addr, this.options.portS ?? 0);
      this.portS = this.udpS.address().port;
      try {
        await listenTcp(this.server, addr, this.portS);
        break;
      } catch (e) {
        this.udpS.close();
        if ((this.options.portS ?? 0) !== 0 || attempt >= 5) throw e;
      }
    }
    this.udpS.on('message', (data, rinfo) => this.onDatagram(data, { address: rinfo.address, port: rinfo.port }, this.portS));
    this.udpS.on('error', (e) => this.report(e));
    if (this.options.portC !== undefined) this.portC = await this.bindClientPort(this.options.portC);
    this.server.on('connection', (sock) => this.adopt(sock, true));
    this.server.on('error', (e) => this.report(e));
  }

  private async bindClientPort(port: number): Promise<number> {
    const sock = await bindUdp(this.options.localAddress, port);
    const portC = sock.address().port;
    this.udpC.set(portC, sock);
    sock.on('message', (data, rinfo) => this.onDatagram(data, { address: rinfo.address, port: rinfo.port }, portC));
    sock.on('error', (e) => this.report(e));
    return portC;
  }

  /** The client ports open now (the default first). */
  get clientPorts(): number[] {
    return [...this.udpC.keys()].sort((a, b) => (a === this.portC ? -1 : b === this.portC ? 1 : a - b));
  }

  /**
   * Open one more client port (0: ephemeral) and return its number. Requests keep leaving from
   * the default one until useClientPort() says otherwise.
   */
  async addClientPort(port = 0): Promise<number> {
    if (this.closing) throw new Error('transport closed');
    return this.bindClientPort(port);
  }

  /**
   * Send requests from this client port: to `remote` only, or (without `remote`) by default to
   * every peer that has no port of its own. TCP connections follow: a request to a peer whose
   * connection starts from another client port opens a new one.
   */
  useClientPort(port: number, remote?: Peer): void {
    if (!this.udpC.has(port)) throw new Error(`client port ${port} is not open`);
    if (remote) {
      this.clientPortFor.set(key(remote), port);
      return;
    }
    const old = this.portC;
    this.portC = port;
    if (old !== undefined && old !== port && this.closeWhenReplaced.delete(old)) this.closeClientPort(old).catch((e: Error) => this.report(e));
  }

  /** default client ports whose close waits until another one is the default */
  private readonly closeWhenReplaced = new Set<number>();

  /**
   * Close a client port: its UDP socket, the TCP connections that start from it; the peers that
   * were sent to from it go back to the default. The default one closes once another replaces it.
   */
  async closeClientPort(port: number): Promise<void> {
    if (port === this.portC) {
      this.closeWhenReplaced.add(port);
      return;
    }
    const sock = this.udpC.get(port);
    if (!sock) return;
    this.udpC.delete(port);
    for (const [k, p] of this.clientPortFor) if (p === port) this.clientPortFor.delete(k);
    for (const c of [...this.connections.values()]) if (!c.accepted && c.local.port === port) c.close();
    await new Promise<void>((resolve) => sock.close(() => resolve()));
  }

  /** the client port a request to `remote` leaves from, if any */
  private clientPortTo(remote: Peer): number | undefined {
    return this.clientPortFor.get(key(remote)) ?? this.portC;
  }

  /** An 'error' event without listener would throw (EventEmitter rule): only emit when heard. */
  private report(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private onDatagram(data: Buffer, remote: Peer, localPort: number): void {
    // RFC 5626 4.4.2: STUN keep-alives are not SIP; a bare CRLF datagram is ignored likewise
    if (data.length <= 4 && data.every((b) => b === 0x0d || b === 0x0a)) return;
    this.deliver(data, 'udp', remote, { address: this.options.localAddress, port: localPort });
  }

  private deliver(raw: Buffer, protocol: Protocol, remote: Peer, local: Peer, conn?: TcpConnection): void {
    let message;
    try {
      message = parseMessage(raw);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      const res = buildErrorResponse(raw, e, { toTag: this.options.errorToTag?.() ?? Math.random().toString(36).slice(2, 10) });
      if (res) {
        const bytes = serializeMessage(res);
        if (conn) conn.write(bytes).catch(() => undefined);
        else this.udpS.send(bytes, remote.port, remote.address);
      }
      this.emit('invalid', { error: e, raw, protocol, remote, answered: res !== undefined });
      return;
    }
    if (message.isRequest()) markReceived(message, remote);
    const received: Received = { message, raw, protocol, local, remote };
    if (conn) received.connectionId = conn.id;
    this.emit('message', received);
  }

  private adopt(sock: net.Socket, accepted: boolean): TcpConnection {
    const conn = new TcpConnection(
      sock,
      accepted,
      {
        onMessage: (c, data) => this.deliver(data, 'tcp', c.remote, c.local, c),
        onPong: (c) => this.emit('pong', c.remote, c.id),
        onFramingError: (c, error: FramingError, raw) => this.emit('invalid', { error, raw, protocol: 'tcp', remote: c.remote, answered: false }),
        onClose: (c) => {
          this.connections.delete(c.id);
          if (this.byRemote.get(key(c.remote)) === c) this.byRemote.delete(key(c.remote));
        },
      },
      this.options.framer,
    );
    if (this.closing) {
      conn.close();
      return conn;
    }
    this.connections.set(conn.id, conn);
    // RFC 3261 18.2.2 / RFC 5923: a connection, whoever opened it, is reused towards its peer
    this.byRemote.set(key(conn.remote), conn);
    return conn;
  }

  private connect(remote: Peer, fromClientPort: boolean): Promise<TcpConnection> {
    const localPort = fromClientPort ? this.clientPortTo(remote) : undefined;
    const k = `${key(remote)}|${localPort ?? ''}`;
    const pending = this.connecting.get(k);
    if (pending) return pending;
    const p = new Promise<TcpConnection>((resolve, reject) => {
      const opts: net.NetConnectOpts = { host: stripBrackets(remote.address), port: remote.port, localAddress: this.options.localAddress };
      if (localPort !== undefined) opts.localPort = localPort;
      const sock = net.connect(opts);
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(this.adopt(sock, false));
      });
    }).finally(() => this.connecting.delete(k));
    this.connecting.set(k, p);
    return p;
  }

  /** The open TCP connection to a peer, if any. */
  connectionTo(remote: Peer): string | undefined {
    return this.byRemote.get(key(remote))?.id;
  }

  async send(msg: SipMessage | Buffer, dest: Destination, options: SendOptions = {}): Promise<SendResult> {
    const isRequest = msg instanceof SipRequest;
    let protocol = dest.protocol;
    let bytes = msg instanceof SipMessage ? serializeMessage(msg) : msg;
    // RFC 3261 18.1.1: a request within 200 bytes of the path MTU (1300 bytes when unknown)
    // goes over a congestion-controlled transport, and its top Via says so
    if (isRequest && protocol === 'udp' && bytes.length > (this.options.udpSizeThreshold ?? 1300)) {
      protocol = 'tcp';
      const top = msg.headers.getAll('Via')[0];
      if (top !== undefined && /^SIP\s*\/\s*2\.0\s*\/\s*UDP\b/i.test(top)) {
        msg.headers.shift('Via');
        msg.headers.prepend('Via', top.replace(/UDP/i, 'TCP'));
        bytes = serializeMessage(msg);
      }
    }
    const remote = { address: stripBrackets(dest.address), port: dest.port };
    const fromClientPort = options.fromClientPort ?? isRequest;
    const portC = fromClientPort ? this.clientPortTo(remote) : undefined;
    if (protocol === 'udp') {
      const sock = (portC !== undefined ? this.udpC.get(portC) : undefined) ?? this.udpS;
      await new Promise<void>((resolve, reject) => sock.send(bytes, remote.port, remote.address, (err) => (err ? reject(err) : resolve())));
      return { protocol, local: { address: this.options.localAddress, port: sock.address().port }, remote };
    }
    let conn = options.connectionId ? this.connections.get(options.connectionId) : undefined;
    if (!conn || conn.closed) conn = this.byRemote.get(key(remote));
    // a request leaves from its client port: a connection from another port would pick other SAs
    if (conn && !options.connectionId && portC !== undefined && !conn.accepted && conn.local.port !== portC) conn = undefined;
    if (!conn || conn.closed) conn = await this.connect(remote, fromClientPort);
    await conn.write(bytes);
    return { protocol, local: conn.local, remote: conn.remote, connectionId: conn.id };
  }

  /** Send one RFC 5626 double-CRLF ping on the TCP connection to a peer (opened if needed). */
  async ping(remote: Peer): Promise<string> {
    let conn = this.byRemote.get(key(remote));
    if (!conn || conn.closed) conn = await this.connect(remote, true);
    await conn.write(Buffer.from('\r\n\r\n'));
    return conn.id;
  }

  /**
   * Ping a peer every intervalMs (RFC 5626 4.4.1 recommends 95-120 s for TCP); returns a stop
   * function. A failed ping is reported as an 'error' event.
   */
  keepAlive(remote: Peer, intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.ping(remote).catch((e: Error) => this.report(e));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.connections.values()) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.udpS.close(() => resolve()));
    for (const sock of this.udpC.values()) await new Promise<void>((resolve) => sock.close(() => resolve()));
    this.udpC.clear();
  }
}
