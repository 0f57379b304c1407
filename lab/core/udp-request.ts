// `tsx udp-request.ts <host> <port>`: sends the SIP request read from stdin from an ephemeral UDP
// port (the token LOCALPORT in its headers becomes that port, for the Via) and prints the first
// final response whose CSeq matches (exit 1 if none within 5 s).
// Run by the lab inside its core namespace (network-deregistration.ts).
import { createSocket } from 'node:dgram';

const [host = '127.0.0.1', port = '5060'] = process.argv.slice(2);
const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const request = Buffer.concat(chunks);
const cseq = /^CSeq:\s*(.+)$/im.exec(request.toString('utf8'))?.[1]?.trim();
const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
const timer = setTimeout(() => {
  console.error(`no final response within 5 s to ${cseq ?? 'the request'}`);
  process.exit(1);
}, 5000);
sock.on('message', (m) => {
  const text = m.toString('utf8');
  const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
  if (!status || Number(status) < 200) return;
  if (cseq && /^CSeq:\s*(.+)$/im.exec(text)?.[1]?.trim() !== cseq) return;
  clearTimeout(timer);
  console.log(text.split('\r\n')[0]);
  sock.close();
});
sock.bind(0, host.includes(':') ? '::1' : '127.0.0.1', () => {
  const text = request.toString('utf8');
  const cut = text.indexOf('\r\n\r\n');
  const head = text.slice(0, cut).replace('LOCALPORT', String(sock.address().port));
  sock.send(Buffer.from(head + text.slice(cut)), Number(port), host);
});
