// Ports for the peers: one number free for both UDP and TCP on every given loopback address.
import dgram from 'node:dgram';
import net from 'node:net';

async function tcpFree(addr: string, port: number): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, addr, () => srv.close(() => resolve(true)));
  });
}

async function udpFree(addr: string, port: number): Promise<boolean> {
  const sock = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, addr, () => sock.close(() => resolve(true)));
  });
}

async function ephemeral(addr: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, addr, () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A port that is free right now for UDP and TCP on each address (the kernel picks it from its
 * ephemeral range, so parallel test runs rarely meet). A peer started on it a moment later can
 * still lose a race; the starters report that as a start-up failure naming the port.
 */
export async function freePort(addrs: string | string[]): Promise<number> {
  const list = Array.isArray(addrs) ? addrs : [addrs];
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeral(list[0]);
    let ok = true;
    for (const a of list) {
      if (!(await tcpFree(a, port)) || !(await udpFree(a, port))) {
        ok = false;
        break;
      }
    }
    if (ok) return port;
  }
  throw new Error(`no port free for UDP and TCP on ${list.join(', ')} after 50 attempts`);
}

/** `[::1]` for IPv6 literals, the address itself otherwise (RFC 3261 19.1.1 host). */
export const hostOf = (addr: string): string => (addr.includes(':') ? `[${addr}]` : addr);
