// RFC 3312 (updated by RFC 4032) segmented QoS preconditions: a=curr, a=des, a=conf for the
// "qos" precondition type, as the UE uses them (TS 24.229 6.1.2 / 6.1.3, IR.92 2.4.1). The status
// lines of an SDP speak from its writer's side: the writer's "local" is the reader's "remote".
import type { SdpAttribute, SdpMedia } from './model.js';

export type QosDirection = 'none' | 'send' | 'recv' | 'sendrecv';
export type QosStrength = 'mandatory' | 'optional' | 'none' | 'failure' | 'unknown';
export type QosSegment = 'local' | 'remote';

/** The precondition state of one media stream, from our side. */
export interface QosStatus {
  /** current status of our access segment (from our bearer) */
  localCurrent: QosDirection;
  /** current status of the peer's access segment, as the peer last reported it */
  remoteCurrent: QosDirection;
  /** desired status per segment (strength and direction), ours and what the peer asked */
  localDesired: { strength: QosStrength; direction: QosDirection };
  remoteDesired: { strength: QosStrength; direction: QosDirection };
  /** the peer asked us to confirm when our segment's resources are reserved (a=conf) */
  confirmRequested?: QosDirection;
}

export interface PreconditionLines {
  curr: Array<{ segment: QosSegment; direction: QosDirection }>;
  des: Array<{ strength: QosStrength; segment: QosSegment | 'e2e'; direction: QosDirection }>;
  conf: Array<{ segment: QosSegment | 'e2e'; direction: QosDirection }>;
}

const DIRECTIONS: QosDirection[] = ['none', 'send', 'recv', 'sendrecv'];
const STRENGTHS: QosStrength[] = ['mandatory', 'optional', 'none', 'failure', 'unknown'];

function direction(v: string | undefined): QosDirection | undefined {
  return DIRECTIONS.find((d) => d === v);
}

/** The qos precondition lines of a media section (other precondition types are left alone). */
export function readPreconditions(m: SdpMedia): PreconditionLines {
  const out: PreconditionLines = { curr: [], des: [], conf: [] };
  for (const a of m.attributes) {
    if (a.value === undefined) continue;
    const p = a.value.trim().split(/\s+/);
    if (a.name === 'curr' && p[0] === 'qos' && (p[1] === 'local' || p[1] === 'remote')) {
      const d = direction(p[2]);
      if (d) out.curr.push({ segment: p[1], direction: d });
    } else if (a.name === 'des' && p[0] === 'qos') {
      const s = STRENGTHS.find((x) => x === p[1]);
      const d = direction(p[3]);
      if (s && d && (p[2] === 'local' || p[2] === 'remote' || p[2] === 'e2e')) out.des.push({ strength: s, segment: p[2], direction: d });
    } else if (a.name === 'conf' && p[0] === 'qos') {
      const d = direction(p[2]);
      if (d && (p[1] === 'local' || p[1] === 'remote' || p[1] === 'e2e')) out.conf.push({ segment: p[1], direction: d });
    }
  }
  return out;
}

export function hasPreconditions(m: SdpMedia): boolean {
  return readPreconditions(m).des.length > 0;
}

function swap(s: QosSegment | 'e2e'): QosSegment | 'e2e' {
  return s === 'local' ? 'remote' : s === 'remote' ? 'local' : 'e2e';
}

/** does `have` cover `want` (sendrecv covers send and recv; anything covers none) */
export function covers(have: QosDirection, want: QosDirection): boolean {
  if (want === 'none') return true;
  if (have === 'sendrecv') return true;
  return have === want;
}

/**
 * Fold the peer's lines into our status (RFC 3312 5.1: the peer's "local" is our "remote").
 * The strongest desire per segment wins (RFC 3312 5.1.1 table 3: mandatory over optional).
 */
export function applyPeerPreconditions(status: QosStatus, m: SdpMedia): QosStatus {
  const lines = readPreconditions(m);
  const next: QosStatus = { ...status, localDesired: { ...status.localDesired }, remoteDesired: { ...status.remoteDesired } };
  delete next.confirmRequested;
  for (const c of lines.curr) if (swap(c.segment) === 'remote') next.remoteCurrent = c.direction;
  const rank = (s: QosStrength): number => ['none', 'optional', 'mandatory'].indexOf(s);
  for (const d of lines.des) {
    const seg = swap(d.segment);
    const targets = seg === 'e2e' ? (['localDesired', 'remoteDesired'] as const) : ([seg === 'local' ? 'localDesired' : 'remoteDesired'] as const);
    for (const t of targets) {
      if (d.strength === 'failure' || d.strength === 'unknown') continue;
      if (rank(d.strength) > rank(next[t].strength)) next[t] = { strength: d.strength, direction: d.direction };
    }
  }
  for (const c of lines.conf) if (swap(c.segment) === 'local') next.confirmRequested = c.direction;
  return next;
}

/** RFC 3312 5: the preconditions are met when every mandatory desire is covered by the current status. */
export function preconditionsMet(s: QosStatus): boolean {
  const ok = (want: { strength: QosStrength; direction: QosDirection }, have: QosDirection): boolean => want.strength !== 'mandatory' || covers(have, want.direction);
  return ok(s.localDesired, s.localCurrent) && ok(s.remoteDesired, s.remoteCurrent);
}

/** our segment is ready, or nobody requires it */
export function localMet(s: QosStatus): boolean {
  return s.localDesired.strength !== 'mandatory' || covers(s.localCurrent, s.localDesired.direction);
}

/**
 * The lines we write: curr and des for both segments from our side, and conf asking the peer
 * to tell us once its segment is reserved (TS 24.229 6.1.3: an answerer whose peer's segment is not
 * yet met asks for confirmation).
 */
export function preconditionAttributes(s: QosStatus, options: { askConfirm?: boolean } = {}): SdpAttribute[] {
  const out: SdpAttribute[] = [
    { name: 'curr', value: `qos local ${s.localCurrent}` },
    { name: 'curr', value: `qos remote ${s.remoteCurrent}` },
    { name: 'des', value: `qos ${s.localDesired.strength} local ${s.localDesired.direction}` },
    { name: 'des', value: `qos ${s.remoteDesired.strength} remote ${s.remoteDesired.direction}` },
  ];
  if (options.askConfirm && !covers(s.remoteCurrent, s.remoteDesired.direction)) out.push({ name: 'conf', value: `qos remote ${s.remoteDesired.direction}` });
  return out;
}

/** IR.92 2.4.1 / TS 24.229 6.1.2: an originating UE wants its own segment (mandatory) and leaves the peer's optional */
export function initialOfferStatus(localReady: boolean): QosStatus {
  return {
    localCurrent: localReady ? 'sendrecv' : 'none',
    remoteCurrent: 'none',
    localDesired: { strength: 'mandatory', direction: 'sendrecv' },
    remoteDesired: { strength: 'optional', direction: 'sendrecv' },
  };
}

/** strip every precondition line (an answer to an offer without preconditions carries none) */
export function withoutPreconditions(attrs: SdpAttribute[]): SdpAttribute[] {
  return attrs.filter((a) => !['curr', 'des', 'conf'].includes(a.name));
}
