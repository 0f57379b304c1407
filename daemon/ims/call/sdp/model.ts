// SDP (RFC 4566): parse and serialize, keeping every line we do not interpret so that an answer
// or a re-offer can be built from what the peer sent. Sans-I/O; errors are SdpParseError.

export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';
}

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: number;
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpConnection {
  netType: string;
  /** IP4 or IP6 */
  addrType: string;
  address: string;
}

export interface SdpBandwidth {
  /** AS, TIAS, RS, RR, CT … */
  type: string;
  value: number;
}

export interface SdpAttribute {
  name: string;
  /** undefined for property attributes (a=sendrecv) */
  value?: string;
}

export interface SdpMedia {
  type: string;
  port: number;
  /** m=<media> <port>/<number of ports> */
  portCount?: number;
  proto: string;
  /** payload types (RTP/AVP) as written */
  formats: string[];
  /** i=, k= and other per-media lines we do not interpret, in order */
  other: Array<[string, string]>;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  version: number;
  origin: SdpOrigin;
  name: string;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  /** t= lines (and r=/z= after them) as written; at least one (RFC 4566 5: "t=0 0" when unbounded) */
  timing: Array<[string, string]>;
  /** i=, u=, e=, p=, k= lines at session level */
  other: Array<[string, string]>;
  attributes: SdpAttribute[];
  media: SdpMedia[];
}

function parseConnection(v: string): SdpConnection {
  const p = v.trim().split(/\s+/);
  if (p.length !== 3) throw new SdpParseError(`c= needs "<nettype> <addrtype> <address>": "${v}"`);
  // RFC 4566 5.7: a multicast address may carry /ttl/count; we keep only the address
  return { netType: p[0]!, addrType: p[1]!, address: p[2]!.split('/')[0]! };
}

function parseBandwidth(v: string): SdpBandwidth {
  const m = /^([A-Za-z0-9_.-]+):(\d+)$/.exec(v.trim());
  if (!m) throw new SdpParseError(`b= needs "<bwtype>:<bandwidth>": "${v}"`);
  return { type: m[1]!, value: Number(m[2]) };
}

function parseAttribute(v: string): SdpAttribute {
  const i = v.indexOf(':');
  return i < 0 ? { name: v.trim() } : { name: v.slice(0, i).trim(), value: v.slice(i + 1).trim() };
}

function parseOrigin(v: string): SdpOrigin {
  const p = v.trim().split(/\s+/);
  if (p.length !== 6) throw new SdpParseError(`o= needs six fields: "${v}"`);
  const version = Number(p[2]);
  if (!Number.isFinite(version)) throw new SdpParseError(`o= session version is not a number: "${p[2]}"`);
  return { username: p[0]!, sessionId: p[1]!, sessionVersion: version, netType: p[3]!, addrType: p[4]!, address: p[5]! };
}

function parseMediaLine(v: string): SdpMedia {
  const p = v.trim().split(/\s+/);
  if (p.length < 3) throw new SdpParseError(`m= needs "<media> <port> <proto> <fmt> …": "${v}"`);
  const pm = /^(\d+)(?:\/(\d+))?$/.exec(p[1]!);
  if (!pm || Number(pm[1]) > 65535) throw new SdpParseError(`m= port is not a port: "${p[1]}"`);
  return {
    type: p[0]!,
    port: Number(pm[1]),
    ...(pm[2] !== undefined ? { portCount: Number(pm[2]) } : {}),
    proto: p[2]!,
    formats: p.slice(3),
    other: [],
    bandwidths: [],
    attributes: [],
  };
}

/** Parse an SDP body (CRLF or LF line ends). Throws SdpParseError naming the bad line. */
export function parseSdp(text: string): SessionDescription {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let version: number | undefined;
  let origin: SdpOrigin | undefined;
  let name: string | undefined;
  const sd: Omit<SessionDescription, 'version' | 'origin' | 'name'> = { bandwidths: [], timing: [], other: [], attributes: [], media: [] };
  let media: SdpMedia | undefined;
  for (const line of lines) {
    const m = /^([a-z])=(.*)$/.exec(line);
    if (!m) throw new SdpParseError(`not an SDP line: "${line}"`);
    const [, type, value] = m as unknown as [string, string, string];
    if (media) {
      switch (type) {
        case 'm':
          media = parseMediaLine(value);
          sd.media.push(media);
          break;
        case 'c':
          media.connection = parseConnection(value);
          break;
        case 'b':
          media.bandwidths.push(parseBandwidth(value));
          break;
        case 'a':
          media.attributes.push(parseAttribute(value));
          break;
        default:
          media.other.push([type, value]);
      }
      continue;
    }
    switch (type) {
      case 'v':
        version = Number(value);
        if (version !== 0) throw new SdpParseError(`unknown SDP version "${value}"`);
        break;
      case 'o':
        origin = parseOrigin(value);
        break;
      case 's':
        name = value;
        break;
      case 'c':
        sd.connection = parseConnection(value);
        break;
      case 'b':
        sd.bandwidths.push(parseBandwidth(value));
        break;
      case 't':
      case 'r':
      case 'z':
        sd.timing.push([type, value]);
        break;
      case 'a':
        sd.attributes.push(parseAttribute(value));
        break;
      case 'm':
        media = parseMediaLine(value);
        sd.media.push(media);
        break;
      default:
        sd.other.push([type, value]);
    }
  }
  if (version === undefined) throw new SdpParseError('no v= line');
  if (!origin) throw new SdpParseError('no o= line');
  if (name === undefined) throw new SdpParseError('no s= line');
  if (sd.timing.length === 0) sd.timing.push(['t', '0 0']);
  return { version, origin, name, ...sd };
}

function attr(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

/** Serialize in the RFC 4566 5 order, CRLF line ends. */
export function serializeSdp(sd: SessionDescription): string {
  const o = sd.origin;
  const out: string[] = [`v=${sd.version}`, `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`, `s=${sd.name || '-'}`];
  const order = 'iuep';
  for (const k of order) for (const [t, v] of sd.other) if (t === k) out.push(`${t}=${v}`);
  if (sd.connection) out.push(`c=${sd.connection.netType} ${sd.connection.addrType} ${sd.connection.address}`);
  for (const b of sd.bandwidths) out.push(`b=${b.type}:${b.value}`);
  for (const [t, v] of sd.timing) out.push(`${t}=${v}`);
  for (const [t, v] of sd.other) if (!order.includes(t)) out.push(`${t}=${v}`);
  for (const a of sd.attributes) out.push(attr(a));
  for (const m of sd.media) {
    out.push(`m=${m.type} ${m.port}${m.portCount !== undefined ? `/${m.portCount}` : ''} ${m.proto} ${m.formats.join(' ')}`);
    for (const [t, v] of m.other) if (t === 'i') out.push(`${t}=${v}`);
    if (m.connection) out.push(`c=${m.connection.netType} ${m.connection.addrType} ${m.connection.address}`);
    for (const b of m.bandwidths) out.push(`b=${b.type}:${b.value}`);
    for (const [t, v] of m.other) if (t !== 'i') out.push(`${t}=${v}`);
    for (const a of m.attributes) out.push(attr(a));
  }
  return out.join('\r\n') + '\r\n';
}

/** every value of attribute `name` of a media section */
export function attributeValues(m: SdpMedia | SessionDescription, name: string): string[] {
  return m.attributes.filter((a) => a.name === name).map((a) => a.value ?? '');
}

/** the connection address of a media section (its own c=, else the session's) */
export function mediaConnection(sd: SessionDescription, m: SdpMedia): SdpConnection | undefined {
  return m.connection ?? sd.connection;
}
