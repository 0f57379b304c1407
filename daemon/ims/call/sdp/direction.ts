// Media direction attributes (RFC 3264 5.1, 6.1, 8.4): what a stream says, and what we answer,
// including hold (RFC 3264 8.4: a=sendonly or a=inactive; the old c=0.0.0.0 form counts as held).
import type { MediaDirection } from '../../../../modem-drivers/driver.js';
import type { SdpAttribute, SdpMedia, SessionDescription } from './model.js';

const DIRECTIONS: MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export function isDirection(name: string): name is MediaDirection {
  return (DIRECTIONS as string[]).includes(name);
}

/** the direction of a stream: its own attribute, else the session's, else sendrecv (RFC 3264 5.1) */
export function directionOf(sd: SessionDescription, m: SdpMedia): MediaDirection {
  const own = m.attributes.find((a) => isDirection(a.name));
  if (own) return own.name as MediaDirection;
  const session = sd.attributes.find((a) => isDirection(a.name));
  return session ? (session.name as MediaDirection) : 'sendrecv';
}

/** RFC 3264 8.4: the peer puts us on hold with sendonly or inactive (or the RFC 2543 c=0.0.0.0) */
export function heldByPeer(sd: SessionDescription, m: SdpMedia): boolean {
  const d = directionOf(sd, m);
  const c = m.connection ?? sd.connection;
  return d === 'sendonly' || d === 'inactive' || c?.address === '0.0.0.0';
}

/** RFC 3264 6.1: the answer's direction for an offered one, when we hold (or not) ourselves */
export function answerDirection(offered: MediaDirection, weHold: boolean): MediaDirection {
  switch (offered) {
    case 'sendrecv':
      return weHold ? 'sendonly' : 'sendrecv';
    case 'sendonly':
      return weHold ? 'inactive' : 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
  }
}

/** the direction the media side runs from our side, given the direction we wrote */
export function reverseDirection(d: MediaDirection): MediaDirection {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

/** replace the direction attribute of a stream */
export function withDirection(attrs: SdpAttribute[], d: MediaDirection): SdpAttribute[] {
  return [...attrs.filter((a) => !isDirection(a.name)), { name: d }];
}
