// Network-initiated de-registration as the UE sees it (TS 24.229 5.4.1.5): a reg-event NOTIFY in the
// UE's subscription dialog whose reginfo says registration and contact "terminated" with event
// "deactivated" (the UE shall register again) or "rejected" (it shall not), and
// Subscription-State terminated.
//
// Kamailio 5.6.3's S-CSCF cannot send it: its RPC regscscf.dereg_impu and its Cx RTR handler
// deadlock on the contact slot lock (lab/README.md). The lab therefore sends the NOTIFY the S-CSCF
// would send: the P-CSCF remembers the dialog of the last reg-event NOTIFY it relayed to each user
// (htable regdlg), and this NOTIFY enters the P-CSCF from the S-CSCF's side (core loopback), so the
// P-CSCF relays it like the S-CSCF's own — over the UE's SAs with sec-agree. The S-CSCF keeps its
// binding; the UE's reaction is what this tests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { names, type LabOptions } from '../options.js';
import { inNs, run } from './exec.js';

const SENDER = fileURLToPath(new URL('./udp-request.ts', import.meta.url));

export class NetworkDeregistrationError extends Error {
  override name = 'NetworkDeregistrationError';
}

export type DeregistrationEvent = 'deactivated' | 'rejected';

interface RegDialog { ruri: string; from: string; to: string; callid: string; cseq: number }

async function htableGet(o: LabOptions, key: string): Promise<string | undefined> {
  const ctl = `unix:${join(o.runDir, 'pcscf', 'pcscf_ctl')}`;
  try {
    const out = await run(['kamcmd', '-s', ctl, 'htable.get', 'regdlg', key], { timeoutMs: 5000 });
    return /^\s*value:\s*(.*)$/m.exec(out)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

export async function regDialogOf(o: LabOptions, user: string): Promise<RegDialog | undefined> {
  const get = (f: string) => htableGet(o, `${user}::${f}`);
  const [ruri, from, to, callid, cseq] = await Promise.all([get('ruri'), get('from'), get('to'), get('callid'), get('cseq')]);
  if (!ruri || !from || !to || !callid || !cseq) return undefined;
  return { ruri, from, to, callid, cseq: Number(cseq) };
}

/** RFC 3680 reginfo: one registration (the IMPU), its one contact terminated with `event`. */
export function terminatedReginfo(aor: string, contactUri: string, event: DeregistrationEvent, version: number): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  return '<?xml version="1.0"?>\r\n'
    + `<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="${version}" state="full">\r\n`
    + ` <registration aor="${esc(aor)}" id="lab-${randomBytes(4).toString('hex')}" state="terminated">\r\n`
    + `  <contact id="lab-${randomBytes(4).toString('hex')}" state="terminated" event="${event}"><uri>${esc(contactUri)}</uri></contact>\r\n`
    + ' </registration>\r\n</reginfo>\r\n';
}

/**
 * Sends the de-registration NOTIFY to `user` (the user part of the IMPU the UE subscribed for,
 * e.g. its IMSI) and returns the UE's final response line (e.g. "SIP/2.0 200 OK").
 */
export async function networkDeregister(o: LabOptions, user: string, event: DeregistrationEvent): Promise<string> {
  const d = await regDialogOf(o, user);
  if (!d) throw new NetworkDeregistrationError(`no reg-event subscription of "${user}" seen by the P-CSCF (the UE must subscribe first)`);
  const n = names(o);
  const aor = /<([^>]+)>/.exec(d.to)?.[1] ?? d.to;
  // the version only has to exceed what the S-CSCF sent so far (RFC 3680 5.2: the UE drops older ones)
  const body = terminatedReginfo(aor, d.ruri, event, 1_000_000 + Math.floor(Date.now() / 1000) % 1_000_000);
  const request = [
    `NOTIFY ${d.ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=z9hG4bK-labdereg-${randomBytes(6).toString('hex')}`,
    `Route: <sip:${n.pcscfHost}:${o.pcscfPort};lr>`,
    'Max-Forwards: 70',
    `From: ${d.from}`,
    `To: ${d.to}`,
    `Call-ID: ${d.callid}`,
    `CSeq: ${d.cseq + 1} NOTIFY`,
    `Contact: <sip:${n.scscfHost}:6060>`,
    'Event: reg',
    `Subscription-State: terminated;reason=${event === 'rejected' ? 'rejected' : 'deactivated'}`,
    'Content-Type: application/reginfo+xml',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  const argv = inNs(n.coreNs, [process.execPath, '--import', 'tsx', SENDER, '127.0.0.1', String(o.pcscfPort)]);
  return new Promise((res, rej) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? res(out.trim()) : rej(new NetworkDeregistrationError(`the UE did not answer the NOTIFY: ${err.trim()}`))));
    child.stdin.end(request);
  });
}
