// The far-end phone: Debian's baresip on the core namespace's loopback, reached by the S-CSCF's
// static route for the far-end number, controlled through its ctrl_tcp module.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_PORTS, names, type LabOptions } from '../options.js';
import { inNs, startDaemon } from './exec.js';
import { writeToneWav } from './wav.js';

export interface BaresipConfigText {
  /** the address baresip listens on for SIP and ctrl_tcp, and sends RTP from unless mediaHost says (an address: baresip 1.0 rejects "lo") */
  host: string;
  /** the address of its media (SDP c=, RTP), when not host */
  mediaHost?: string;
  sipPort: number;
  ctrlPort: number;
  /** WAV file played as the microphone */
  sound: string;
  rtpPorts: string;
  /**
   * also load the AMR/AMR-WB codecs (octet-aligned only, RFC 4867 8.1): what an IMS UE offers
   * (IR.92 3.2); the microphone is then a sine that lasts as long as the call
   */
  amr?: boolean;
}

/** baresip's `config` file: SIP and ctrl_tcp on one loopback address, a WAV file as microphone, no sound card. */
export function baresipConfigText(c: BaresipConfigText): string {
  return [
    `sip_listen ${c.host}:${c.sipPort}`,
    `net_interface ${c.mediaHost ?? c.host}`,
    'net_prefer_ipv6 no',
    'module_path /usr/lib/baresip/modules',
    // no stdio.so: it needs a terminal
    'module g711.so',
    ...(c.amr ? ['module amr.so'] : []),
    'module aufile.so',
    'module alsa.so',
    // with AMR: a 440 Hz sine (48 kHz stereo, resampled for AMR-WB/AMR) that never ends; the WAV
    // ends after 2 s, and baresip hangs up a call whose source ended
    ...(c.amr ? ['module ausine.so', 'audio_source ausine,440', 'ausrc_srate 48000', 'ausrc_channels 2'] : [`audio_source aufile,${c.sound}`]),
    'audio_player alsa,null',
    'audio_alert alsa,null',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen ${c.host}:${c.ctrlPort}`,
    `rtp_ports ${c.rtpPorts}`,
    '',
  ].join('\n');
}

export function baresipConfig(o: LabOptions, autoAnswer: boolean, sound: string, amr = false): { config: string; accounts: string } {
  // SIP stays on the core's loopback (the S-CSCF's static route); media on the core's address,
  // which the UE namespace reaches, so a UE's RTP gets to the far end and back
  const config = baresipConfigText({ host: '127.0.0.1', mediaHost: o.coreV4, sipPort: CORE_PORTS.farEndSip, ctrlPort: CORE_PORTS.farEndCtrl, sound, rtpPorts: '40000-40100', amr });
  const answer = autoAnswer ? ';answermode=auto' : ';answermode=manual';
  // No registration (regint=0): the S-CSCF routes the far-end number here statically, and the
  // phone's own calls go to the S-CSCF as their outbound proxy.
  const accounts = `<sip:${o.farEndNumber}@${o.domain}>;regint=0;outbound="sip:127.0.0.1:${CORE_PORTS.scscf}"${answer}\n`;
  return { config, accounts };
}

/** amr: also AMR-WB/AMR (see baresipConfigText) */
export function startBaresip(o: LabOptions, autoAnswer: boolean, amr = false): number {
  const n = names(o);
  const dir = join(o.runDir, 'baresip');
  mkdirSync(dir, { recursive: true });
  const sound = join(dir, 'tone-8k.wav');
  writeToneWav(sound);
  const { config, accounts } = baresipConfig(o, autoAnswer, sound, amr);
  writeFileSync(join(dir, 'config'), config);
  writeFileSync(join(dir, 'accounts'), accounts);
  writeFileSync(join(dir, 'contacts'), '');
  return startDaemon(inNs(n.coreNs, ['baresip', '-f', dir]), join(n.logDir, 'baresip.log'), { ...process.env, HOME: dir });
}
