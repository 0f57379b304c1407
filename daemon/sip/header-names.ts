// Header field names: canonical spelling, compact forms (RFC 3261 7.3.3 and the
// extension RFCs that define one), and which headers are comma-separated lists.

const CANONICAL = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
  'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact',
  'Content-Disposition', 'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type',
  'CSeq', 'Date', 'Error-Info', 'Event', 'Expires', 'From', 'History-Info', 'Identity', 'In-Reply-To',
  'Max-Forwards', 'Min-Expires', 'Min-SE', 'MIME-Version', 'Organization', 'P-Access-Network-Info',
  'P-Asserted-Identity', 'P-Associated-URI', 'P-Called-Party-ID', 'P-Charging-Vector',
  'P-Charging-Function-Addresses', 'P-Early-Media', 'P-Preferred-Identity', 'P-Preferred-Service',
  'P-Asserted-Service', 'P-Visited-Network-ID', 'Path', 'Priority', 'Privacy', 'Proxy-Authenticate',
  'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Refer-To', 'Referred-By',
  'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition', 'Require', 'Retry-After', 'Route',
  'RSeq', 'Security-Client', 'Security-Server', 'Security-Verify', 'Server', 'Service-Route',
  'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported',
  'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
  'Feature-Caps', 'Recv-Info', 'Info-Package', 'Geolocation', 'Geolocation-Routing',
];

/** Compact forms: RFC 3261 7.3.3, RFC 3265 (o, u), RFC 3515 (r), RFC 3892 (b), RFC 4028 (x), RFC 3841 (a, j, d), RFC 8224 (y). */
const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type',
  f: 'From', s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', u: 'Allow-Events',
  r: 'Refer-To', b: 'Referred-By', x: 'Session-Expires', a: 'Accept-Contact', j: 'Reject-Contact',
  d: 'Request-Disposition', y: 'Identity',
};

/** Headers whose grammar is `value *(COMMA value)`, so several fields may be combined (RFC 3261 7.3.1). */
const LIST_HEADERS = new Set(
  [
    'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
    'Call-Info', 'Contact', 'Content-Encoding', 'Content-Language', 'Error-Info', 'History-Info', 'In-Reply-To',
    'P-Asserted-Identity', 'P-Associated-URI', 'P-Preferred-Identity', 'P-Charging-Function-Addresses', 'Path',
    'Proxy-Require', 'Reason', 'Record-Route', 'Reject-Contact', 'Request-Disposition', 'Require', 'Route',
    'Security-Client', 'Security-Server', 'Security-Verify', 'Service-Route', 'Supported', 'Unsupported', 'Via',
    'Warning', 'P-Early-Media', 'Feature-Caps', 'Recv-Info', 'P-Asserted-Service', 'P-Preferred-Service',
    'P-Visited-Network-ID', 'Geolocation',
  ].map((n) => n.toLowerCase()),
);

const BY_LOWER = new Map<string, string>();
for (const n of CANONICAL) BY_LOWER.set(n.toLowerCase(), n);
for (const [k, v] of Object.entries(COMPACT)) BY_LOWER.set(k, v);

/** The canonical spelling of a header name; compact forms expand; unknown names are kept as given. */
export function canonicalHeaderName(name: string): string {
  return BY_LOWER.get(name.toLowerCase()) ?? name;
}

/** Lower-case key used for lookups (compact forms map to their long form). */
export function headerKey(name: string): string {
  const c = BY_LOWER.get(name.toLowerCase());
  return c ? c.toLowerCase() : name.toLowerCase();
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/** The compact form of a header name, if it has one. */
export function compactHeaderName(name: string): string | undefined {
  const key = headerKey(name);
  for (const [k, v] of Object.entries(COMPACT)) if (v.toLowerCase() === key) return k;
  return undefined;
}
