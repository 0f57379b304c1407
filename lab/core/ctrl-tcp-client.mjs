// One baresip ctrl_tcp command: `node ctrl-tcp-client.mjs <port> <command> [params]`.
// Run inside the core namespace (the control port is on its loopback). Frames the JSON command
// as a netstring ("<len>:<json>,"), prints the matching {"response":true,…} and exits; events
// ({"event":true,…}) on the same stream are skipped.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

const [port, command, params = ''] = process.argv.slice(2);
const sock = net.connect(Number(port), '127.0.0.1');
const timer = setTimeout(() => {
  process.stderr.write(`ctrl_tcp: no response to "${command}" within 5 s\n`);
  process.exit(2);
}, 5000);
sock.on('connect', () => {
  const body = Buffer.from(JSON.stringify({ command, params, token: 'imsd-lab' }));
  sock.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
});
let buf = Buffer.alloc(0);
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    const colon = buf.indexOf(0x3a);
    if (colon < 0) return;
    const len = Number(buf.subarray(0, colon).toString('ascii'));
    if (!Number.isInteger(len)) throw new Error('ctrl_tcp: bad netstring');
    if (buf.length < colon + 2 + len) return;
    const msg = JSON.parse(buf.subarray(colon + 1, colon + 1 + len).toString('utf8'));
    buf = buf.subarray(colon + 2 + len);
    if (msg.response) {
      clearTimeout(timer);
      process.stdout.write(JSON.stringify(msg));
      sock.end();
      return;
    }
  }
});
sock.on('error', (e) => {
  process.stderr.write(`ctrl_tcp: ${e.message}\n`);
  process.exit(1);
});
