// UDP/TCP echo servers and a one-shot exchange from a fixed local port, for the ESP traffic checks.
// As a program: `esp-peer.ts serve '<endpoints json>'` serves until SIGTERM (prints READY), or
// `esp-peer.ts exchange '[{"proto","from","to"}, ...]'` runs the exchanges in turn and prints their results as JSON.
import { createSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { isIP } from 'node:net';

export interface Endpoint { address: string; port: number; proto?: 'udp' | 'tcp' }

export async function echoServers(endpoints: Endpoint[]): Promise<{ close(): void }> {
  const closers: (() => void)[] = [];
  for (const e of endpoints) {
    if (e.proto !== 'tcp') {
      const u = createSocket(isIP(e.address) === 6 ? 'udp6' : 'udp4');
      u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
      await new Promise<void>((res, rej) => { u.once('error', rej); u.bind(e.port, e.address, () => res()); });
      closers.push(() => u.close());
    }
    if (e.proto !== 'udp') {
      const conns = new Set<Socket>();
      const t: Server = createServer((c) => {
        conns.add(c);
        c.on('data', (d) => c.write(Buffer.concat([Buffer.from('echo:'), d])));
        c.on('error', () => undefined);
        c.on('close', () => conns.delete(c));
      });
      await new Promise<void>((res, rej) => { t.once('error', rej); t.listen(e.port, e.address, () => res()); });
      closers.push(() => { for (const c of conns) c.destroy(); t.close(); });
    }
  }
  return { close: () => closers.forEach((c) => c()) };
}

/** Sends one message from `from` to `to` and waits for its echo: 'echoed' or 'timeout'/an error text. */
export function exchange(proto: 'udp' | 'tcp', from: Endpoint, to: Endpoint, timeoutMs: number): Promise<string> {
  const payload = Buffer.from(`ping-${proto}-${from.port}-${to.port}`);
  const want = Buffer.concat([Buffer.from('echo:'), payload]).toString();
  return new Promise((resolve) => {
    let done = false;
    let close = (): void => undefined;
    const finish = (r: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      close();
      resolve(r);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    if (proto === 'udp') {
      const u = createSocket({ type: isIP(from.address) === 6 ? 'udp6' : 'udp4', reuseAddr: true });
      close = () => u.close();
      u.on('error', (e) => finish(`error ${e.message}`));
      u.on('message', (m) => finish(m.toString() === want ? 'echoed' : `wrong echo ${m.toString()}`));
      u.bind(from.port, from.address, () => u.send(payload, to.port, to.address));
    } else {
      const c = connect({ host: to.address, port: to.port, localAddress: from.address, localPort: from.port });
      close = () => c.destroy();
      let got = '';
      c.on('error', (e) => finish(`error ${e.message}`));
      c.on('connect', () => c.write(payload));
      c.on('data', (d) => {
        got += d.toString();
        if (got.length >= want.length) finish(got === want ? 'echoed' : `wrong echo ${got}`);
      });
    }
  });
}

if (process.argv[1]?.endsWith('esp-peer.ts')) {
  const [mode, a] = process.argv.slice(2);
  if (mode === 'serve') {
    const s = await echoServers(JSON.parse(a) as Endpoint[]);
    console.log('READY');
    process.on('SIGTERM', () => {
      s.close();
      process.exit(0);
    });
  } else if (mode === 'exchange') {
    const results: string[] = [];
    for (const x of JSON.parse(a) as { proto: 'udp' | 'tcp'; from: Endpoint; to: Endpoint }[]) results.push(await exchange(x.proto, x.from, x.to, 4000));
    console.log(JSON.stringify(results));
  }
}
