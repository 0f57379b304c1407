// SIPp (Debian sip-tester) as a far end that speaks QoS preconditions (baresip does not): the
// daemon's call tests' second subscriber (./sipp-subscriber.ts there), then their UAS scenario with
// preconditions, without its session timer, on the same port. Runs in the UE namespace.
import { names, type LabOptions } from '../../../../lab/options.js';
import { sippIn, type SippPeerRun } from '../../daemon/ims/call/sipp-peer.js';
import { SIPP_PORT } from '../../daemon/ims/call/sipp-subscriber.js';

export { registerSipp, SIPP_MSISDN } from '../../daemon/ims/call/sipp-subscriber.js';

export type SippUas = SippPeerRun;

/**
 * The daemon's call tests' far end with preconditions (../../daemon/ims/call/sipp/uas-preconditions.xml)
 * without its session-timer part: no Session-Expires in the 200, no refresh UPDATE awaited.
 */
export function withoutSessionTimer(scenario: string): string {
  const out = scenario
    .replace(/^ *Supported: timer\n *Require: timer\n *Session-Expires: 90;refresher=uac\n/m, '')
    .replace(/ *<recv request="UPDATE" timeout="60000">\n *<action>\n *<ereg regexp="\[0-9\]\+;refresher=uac"[\s\S]*?<\/send>\n/, '');
  if (/Session-Expires|timer/.test(out.slice(out.indexOf('<scenario')))) throw new Error('uas-preconditions.xml changed: its session-timer part is no longer where withoutSessionTimer looks');
  return out;
}

/** SIPp answering one call with preconditions (and no session timer) on the registered port */
export function sippUas(o: LabOptions, workDir: string, timeoutS = 30): SippUas {
  return sippIn({ namespace: names(o).ueNs, scenario: 'uas-preconditions.xml', vars: {}, local: o.ueV4, port: SIPP_PORT, workDir, name: 'sipp-uas', timeoutS, edit: withoutSessionTimer });
}
