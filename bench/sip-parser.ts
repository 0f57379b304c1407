// SIP parser/serializer throughput on realistic IMS messages, against jssip's parser in the
// same run. Figures, not pass/fail:  npx tsx bench/sip-parser.ts [seconds-per-sample]
// (The INVITE addresses a sip:...;user=phone URI because jssip rejects a tel: URI in To.)
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../daemon/sip/parser.js';
import { serializeMessage } from '../daemon/sip/serializer.js';

interface JsSipHeader {
  raw: string;
}
interface JsSipMessage {
  method?: string;
  status_code?: number;
  reason_phrase?: string;
  ruri?: { toString(): string };
  headers: Record<string, JsSipHeader[]>;
  body: string;
}
const require = createRequire(import.meta.url);
const jssip = require('jssip/lib/Parser.js') as { parseMessage(data: string, ua: unknown): JsSipMessage | undefined };

const dir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith('.sip'))
  .sort()
  .map((f) => ({ name: f, buf: readFileSync(join(dir, f)), text: readFileSync(join(dir, f), 'utf8') }));

// What jssip's parser computes eagerly (Via, From, To, Call-ID, CSeq, Contact, Record-Route,
// Content-Length) is lazy in ours, so "parse" for us includes reading those typed values.
function oursParse(buf: Buffer): unknown {
  const m = parseMessage(buf);
  return [m.topVia, m.from, m.to, m.callId, m.cseq, m.contacts, m.recordRoutes, m.contentLength];
}

function oursRoundTrip(buf: Buffer): Buffer {
  const m = parseMessage(buf);
  void [m.topVia, m.from, m.to, m.callId, m.cseq, m.contacts, m.recordRoutes, m.contentLength];
  return serializeMessage(m);
}

function jssipParse(text: string): JsSipMessage {
  const m = jssip.parseMessage(text, undefined);
  if (!m) throw new Error('jssip rejected a corpus message');
  return m;
}

// jssip's IncomingMessage.toString() returns the received text; re-serialise from its header
// model the way its OutgoingRequest.toString() does, so both sides do the same work.
function jssipRoundTrip(text: string): Buffer {
  const m = jssipParse(text);
  let s = m.method ? `${m.method} ${String(m.ruri)} SIP/2.0\r\n` : `SIP/2.0 ${m.status_code} ${m.reason_phrase}\r\n`;
  for (const name of Object.keys(m.headers)) for (const h of m.headers[name]) s += `${name}: ${h.raw}\r\n`;
  return Buffer.from(`${s}\r\n${m.body}`);
}

function measure(fn: () => void, seconds: number): number {
  const end = performance.now() + seconds * 1000;
  let ops = 0;
  const started = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
  }
  return ops / ((performance.now() - started) / 1000);
}

const seconds = Number(process.argv[2] ?? 0.5);
const rounds = 3;

// sanity: both sides parse every message
for (const c of corpus) {
  oursRoundTrip(c.buf);
  jssipRoundTrip(c.text);
}

type Row = { name: string; ours: number; jssip: number };
function bench(label: string, ours: (c: (typeof corpus)[number]) => unknown, theirs: (c: (typeof corpus)[number]) => unknown): Row[] {
  const rows: Row[] = corpus.map((c) => ({ name: c.name, ours: 0, jssip: 0 }));
  // warm-up, then interleave the two so drift hits both alike; keep the best of the rounds
  corpus.forEach((c) => {
    measure(() => ours(c), 0.2);
    measure(() => theirs(c), 0.2);
  });
  for (let r = 0; r < rounds; r++) {
    corpus.forEach((c, i) => {
      rows[i].ours = Math.max(rows[i].ours, measure(() => ours(c), seconds));
      rows[i].jssip = Math.max(rows[i].jssip, measure(() => theirs(c), seconds));
    });
  }
  console.log(`\n${label}`);
  console.log(`${'message'.padEnd(26)}${'imsd ops/s'.padStart(14)}${'jssip ops/s'.padStart(14)}${'ratio'.padStart(9)}`);
  for (const row of rows) console.log(`${row.name.padEnd(26)}${row.ours.toFixed(0).padStart(14)}${row.jssip.toFixed(0).padStart(14)}${(row.ours / row.jssip).toFixed(2).padStart(8)}x`);
  const sumOurs = rows.reduce((s, r) => s + 1 / r.ours, 0);
  const sumTheirs = rows.reduce((s, r) => s + 1 / r.jssip, 0);
  // corpus throughput: one of each message per "op"
  console.log(`${'whole corpus (1 of each)'.padEnd(26)}${(1 / sumOurs).toFixed(0).padStart(14)}${(1 / sumTheirs).toFixed(0).padStart(14)}${(sumTheirs / sumOurs).toFixed(2).padStart(8)}x`);
  return rows;
}

console.log(`node ${process.version}, ${corpus.length} messages, best of ${rounds} x ${seconds}s samples`);
bench('parse (with the typed headers jssip parses eagerly)', (c) => oursParse(c.buf), (c) => jssipParse(c.text));
bench('parse + serialize', (c) => oursRoundTrip(c.buf), (c) => jssipRoundTrip(c.text));
