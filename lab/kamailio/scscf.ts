// Renders what the lab S-CSCF (lab/kamailio/scscf.cfg) needs at start: its cdp (Diameter)
// XML config and the kamailio command line with the -A defines. No I/O here.
import { fileURLToPath } from 'node:url';

export const SCSCF_CFG = fileURLToPath(new URL('./scscf.cfg', import.meta.url));

export interface ScscfParams {
  domain: string;
  /** IP the S-CSCF listens on for SIP (UDP). */
  sipIp: string;
  sipPort: number;
  /** Diameter identity of the HSS (its Origin-Host; must resolve to hssIp for cdp). */
  hssHost: string;
  hssPort: number;
  /** Where cdp accepts Diameter connections. */
  diameterIp: string;
  diameterPort: number;
  /** Where calls to the far-end number go, e.g. sip:127.0.0.1:5090. */
  farEndUri: string;
  /** Kamailio's runtime directory (-Y). */
  runDir: string;
  /** Path the rendered cdp XML is written to. */
  cdpConfigPath: string;
  /** Kamailio worker processes for UDP (default 2). */
  children?: number;
}

export function scscfHostname(domain: string): string {
  return `scscf.${domain}`;
}

export function scscfUri(p: Pick<ScscfParams, 'domain' | 'sipPort'>): string {
  return `sip:${scscfHostname(p.domain)}:${p.sipPort}`;
}

function attr(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The cdp module's DiameterPeer config: one peer (the HSS), Cx application, default route to it. */
export function renderScscfCdpXml(p: ScscfParams): string {
  const fqdn = scscfHostname(p.domain);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- cdp config of the imsd lab S-CSCF, rendered by lab/kamailio/scscf.ts -->
<DiameterPeer FQDN="${attr(fqdn)}" Realm="${attr(p.domain)}" Vendor_Id="10415" Product_Name="CDiameterPeer"
  AcceptUnknownPeers="1" DropUnknownOnDisconnect="1" Tc="5" Workers="1" QueueLength="8" TransactionTimeout="5"
  SessionsHashSize="128" DefaultAuthSessionTimeout="3600" MaxAuthSessionTimeout="3600">
  <Peer FQDN="${attr(p.hssHost)}" Realm="${attr(p.domain)}" port="${p.hssPort}"/>
  <Acceptor port="${p.diameterPort}" bind="${attr(p.diameterIp)}"/>
  <Auth id="16777216" vendor="10415"/>
  <SupportedVendor vendor="10415"/>
  <DefaultRoute FQDN="${attr(p.hssHost)}" metric="10"/>
</DiameterPeer>
`;
}

/** kamailio arguments: foreground, log to stderr, every site-specific value as a -A define. */
export function scscfKamailioArgs(p: ScscfParams): string[] {
  const q = (s: string): string => `"${s}"`;
  return [
    '-f', SCSCF_CFG, '-D', '-E', '-Y', p.runDir,
    '-m', '64', '-M', '8',
    '-A', `CHILDREN=${p.children ?? 2}`,
    '-A', `DOMAIN=${q(p.domain)}`,
    '-A', `SCSCF_IP=${p.sipIp}`,
    '-A', `SCSCF_PORT=${p.sipPort}`,
    '-A', `SCSCF_URI=${q(scscfUri(p))}`,
    '-A', `SCSCF_HOSTNAME=${q(scscfHostname(p.domain))}`,
    '-A', `CDP_CONFIG=${q(p.cdpConfigPath)}`,
    '-A', `FAR_END_URI=${q(p.farEndUri)}`,
  ];
}
