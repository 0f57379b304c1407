// imsd-lab: a private IMS core (P-CSCF, S-CSCF, Cx HSS, far-end phone) in network namespaces.
// `npm run lab -- <command>`; see lab/README.md.
import { parseArgs } from 'node:util';
import { farEndCommand } from './core/baresip-ctrl.js';
import { down, status, up } from './core/lab.js';
import { readState } from './core/state.js';
import { addSubscriber, setSubscriberSqn } from './core/subscribers.js';
import { networkDeregister } from './core/network-deregistration.js';
import { umlDown, umlUp } from './core/uml.js';
import { imsdPaths, tryCommands } from './core/ue.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOptions, names, umlInnerOptions, type IpsecMode, type LabOptions } from './options.js';

const USAGE = `usage: imsd-lab [--run-dir DIR] [--prefix NAME] <command>
  up [--uml] [--no-ipsec | --ipsec] [--manual-answer] [--no-imsd]
                         start the lab (idempotent; cleans up what a crashed run left) and,
                         on this kernel, imsd in the UE namespace on a private system bus
  down                   stop everything and remove namespaces, interfaces and the run dir
  status [--json]        addresses, namespaces, components, log dir and pcap, subscribers
  subscriber add --imsi IMSI --k K --opc OPC --msisdn MSISDN [--amf AMF]
  subscriber sqn --imsi IMSI --sqn HEX
                         set the HSS's last issued SQN (e.g. far ahead of the SIM's, for a resync)
  deregister --imsi IMSI [--rejected]
                         network-initiated de-registration NOTIFY to a subscribed UE (deactivated/rejected)
  far-end dial NUMBER | far-end answer | far-end hangup
defaults: --run-dir $IMSD_LAB_RUN_DIR or /tmp/imsd-lab, --prefix $IMSD_LAB_PREFIX or imsdlab`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'run-dir': { type: 'string' },
      prefix: { type: 'string' },
      uml: { type: 'boolean' },
      'inside-uml': { type: 'boolean' },
      'no-ipsec': { type: 'boolean' },
      ipsec: { type: 'boolean' },
      'manual-answer': { type: 'boolean' },
      'no-imsd': { type: 'boolean' },
      json: { type: 'boolean' },
      imsi: { type: 'string' },
      k: { type: 'string' },
      opc: { type: 'string' },
      msisdn: { type: 'string' },
      amf: { type: 'string' },
      sqn: { type: 'string' },
      rejected: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const ipsec: IpsecMode = values['no-ipsec'] ? 'off' : values.ipsec ? 'on' : 'auto';
  const o = defaultOptions({
    ...(values['run-dir'] ? { runDir: values['run-dir'] } : {}),
    ...(values.prefix ? { prefix: values.prefix } : {}),
    ipsec,
  });
  // A running lab's own options win (status/down/far-end from another shell); under --uml the
  // lab proper (subscribers file, far-end) lives in the inner run dir.
  const top = readState(o);
  const cur = top ? (top.mode === 'uml' ? umlInnerOptions(top.options) : top.options) : o;
  const topOpts = top?.options ?? o;
  const [cmd, sub, arg] = positionals;
  switch (cmd) {
    case 'up': {
      const autoAnswer = !values['manual-answer'];
      if (values.uml) await umlUp(o, { autoAnswer });
      else {
        // imsd inside User-Mode Linux is not started yet: there `up` brings the core only
        const imsd = !values['no-imsd'] && !values['inside-uml'];
        const st = await up(o, { autoAnswer, slow: values['inside-uml'] ?? false, imsd });
        if (imsd && st.pids.imsd !== undefined) {
          console.log(`imsd is running in ${names(o).ueNs} (pid ${st.pids.imsd}), log ${imsdPaths(o).log}. Try:`);
          for (const c of tryCommands(o)) console.log(`  ${c}`);
        }
      }
      return 0;
    }
    case 'down':
      if (top?.mode === 'uml' && !values['inside-uml']) await umlDown(topOpts);
      else await down(topOpts);
      return 0;
    case 'status': {
      const s = await status(topOpts);
      if (values.json) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
      return s.up ? 0 : 3;
    }
    case 'subscriber': {
      if (sub === 'sqn') {
        if (!values.imsi || !values.sqn) {
          console.error('subscriber sqn needs --imsi and --sqn');
          return 2;
        }
        const reloads = hssReloads(cur);
        setSubscriberSqn(cur, values.imsi, values.sqn);
        const seen = top ? await waitForHssReload(cur, reloads) : false;
        console.log(`subscriber ${values.imsi}: HSS SQN set to ${values.sqn.toLowerCase().padStart(12, '0')}${seen ? '; the HSS has it' : ''}`);
        return 0;
      }
      if (sub !== 'add') break;
      if (!values.imsi || !values.k || !values.opc || !values.msisdn) {
        console.error('subscriber add needs --imsi, --k, --opc and --msisdn');
        return 2;
      }
      const reloads = hssReloads(cur);
      addSubscriber(cur, { imsi: values.imsi, k: values.k, opc: values.opc, msisdn: values.msisdn, amf: values.amf ?? '8000' });
      // A running HSS re-reads the file on its own; return once it has (it logs each reload).
      if (top && (await waitForHssReload(cur, reloads))) console.log(`subscriber ${values.imsi} (${values.msisdn}) added; the HSS has it`);
      else console.log(`subscriber ${values.imsi} (${values.msisdn}) added`);
      return 0;
    }
    case 'deregister': {
      if (!values.imsi) break;
      if (top?.mode === 'uml' && !values['inside-uml']) {
        console.error('deregister reaches the P-CSCF only from inside User-Mode Linux (its control socket lives there)');
        return 2;
      }
      const answer = await networkDeregister(cur, values.imsi, values.rejected ? 'rejected' : 'deactivated');
      console.log(`de-registration NOTIFY to ${values.imsi}: ${answer}`);
      return 0;
    }
    case 'far-end': {
      const map: Record<string, [string, string]> = {
        dial: ['dial', arg ? toUri(arg, cur.domain) : ''],
        answer: ['accept', ''],
        hangup: ['hangup', ''],
      };
      const c = sub ? map[sub] : undefined;
      if (!c || (sub === 'dial' && !arg)) break;
      if (top?.mode === 'uml') {
        console.error('far-end controls are not available from outside User-Mode Linux');
        return 2;
      }
      const r = await farEndCommand(cur, c[0], c[1]);
      console.log(r.data.trim() || (r.ok ? 'ok' : 'failed'));
      return r.ok ? 0 : 1;
    }
  }
  console.error(USAGE);
  return 2;
}

function hssReloads(o: LabOptions): number {
  try {
    return (readFileSync(join(names(o).logDir, 'hss.log'), 'utf8').match(/subscribers: reloaded/g) ?? []).length;
  } catch {
    return -1;
  }
}

async function waitForHssReload(o: LabOptions, before: number): Promise<boolean> {
  if (before < 0) return false;
  for (let i = 0; i < 50; i++) {
    if (hssReloads(o) > before) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error('imsd-lab: warning: the HSS has not reloaded the subscribers file within 5 s');
  return false;
}

/** A bare number becomes sip:<number>@<domain>;user=phone (TS 24.229 5.1.2A.1.5 style). */
function toUri(target: string, domain: string): string {
  if (/^(sip|sips|tel):/.test(target)) return target;
  return `sip:${target}@${domain};user=phone`;
}

function printStatus(s: Awaited<ReturnType<typeof status>>): void {
  console.log(`lab:          ${s.up ? 'up' : 'down'}${s.mode ? ` (${s.mode})` : ''}`);
  console.log(`domain:       ${s.domain}`);
  console.log(`P-CSCF:       ${s.pcscf.address}:${s.pcscf.port}, [${s.pcscf.address6}]:${s.pcscf.port} (${s.pcscf.host})`);
  if (s.deadPcscf.address) console.log(`dead P-CSCF:  ${s.deadPcscf.address}, [${s.deadPcscf.address6}] (never answers)`);
  console.log(`IPsec:        ${s.ipsec ? 'on (sec-agree)' : 'off'}`);
  console.log(`namespaces:   core ${s.coreNamespace}, UE ${s.ueNamespace} (UE ${s.ueAddress}, ${s.ueAddress6})`);
  console.log(`far end:      ${s.farEnd.number}`);
  for (const [name, c] of Object.entries(s.components)) {
    console.log(`  ${name.padEnd(10)} pid ${c.pid}${c.running === null ? '' : c.running ? ' running' : ' NOT RUNNING'}`);
  }
  console.log(`run dir:      ${s.runDir}`);
  console.log(`logs:         ${s.logDir}`);
  console.log(`pcap:         ${s.pcap}`);
  if (s.readyMs !== null) console.log(`ready after:  ${s.readyMs} ms`);
  console.log(`subscribers:  ${s.subscribers.map((x) => `${x.imsi} ${x.msisdn}`).join(', ')}`);
  if (s.imsd) console.log(`imsd:         pid ${s.imsd.pid}, ${s.imsd.busName} ${s.imsd.modemPath} on ${s.imsd.busAddress}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`imsd-lab: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
