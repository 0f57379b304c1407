// The far-end phone: Debian's baresip on the core namespace's loopback, reached by the S-CSCF's
// static route for the far-end number, controlled through its ctrl_tcp module.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_PORTS, names, type LabOptions } from '../options.js';
import { inNs, startDaemon } from './exec.js';
import { writeToneWav } from './wav.js';

export function baresipConfig(o: LabOptions, autoAnswer: boolean, sound: string): { config: string; accounts: string } {
  const config = [
    `sip_listen 127.0.0.1:${CORE_PORTS.farEndSip}`,
    'net_interface 127.0.0.1',
    'net_prefer_ipv6 no',
    'module_path /usr/lib/baresip/modules',
    // no stdio.so: it needs a terminal
    'module g711.so',
    'module aufile.so',
    'module alsa.so',
    `audio_source aufile,${sound}`,
    'audio_player alsa,null',
    'audio_alert alsa,null',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${CORE_PORTS.farEndCtrl}`,
    'rtp_ports 40000-40100',
    '',
  ].join('\n');
  const answer = autoAnswer ? ';answermode=auto' : ';answermode=manual';
  // No registration (regint=0): the S-CSCF routes the far-end number here statically, and the
  // phone's own calls go to the S-CSCF as their outbound proxy.
  const accounts = `<sip:${o.farEndNumber}@${o.domain}>;regint=0;outbound="sip:127.0.0.1:${CORE_PORTS.scscf}"${answer}\n`;
  return { config, accounts };
}

export function startBaresip(o: LabOptions, autoAnswer: boolean): number {
  const n = names(o);
  const dir = join(o.runDir, 'baresip');
  mkdirSync(dir, { recursive: true });
  const sound = join(dir, 'tone-8k.wav');
  writeToneWav(sound);
  const { config, accounts } = baresipConfig(o, autoAnswer, sound);
  writeFileSync(join(dir, 'config'), config);
  writeFileSync(join(dir, 'accounts'), accounts);
  writeFileSync(join(dir, 'contacts'), '');
  return startDaemon(inNs(n.coreNs, ['baresip', '-f', dir]), join(n.logDir, 'baresip.log'), { ...process.env, HOME: dir });
}
