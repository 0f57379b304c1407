// IpsecManager on the kernel's XFRM: the four transport-mode ESP SAs of a sec-agree set and their
// UDP and TCP policies (TS 33.203 7.1), unique SPIs, removal on de-registration and shutdown, and
// removal of what a crashed run left. Ours are recognised by their reqid (0x494dxxxx, sa-layout.ts).
// Keys go from the spec into the netlink message and nowhere else.
import { registerSecret } from '../log/redact.js';
import { deriveEspKeys } from './algorithms.js';
import { isOurReqid, planSaSet, reqidOf, SLOTS, type SaPlan } from './sa-layout.js';
import {
  IpsecError, type InstalledSaSet, type IpsecManager, type SaSetSpec, type SecurityEndpoint,
} from './types.js';
import { IPPROTO_ESP, XFRM_MSG_NEWPOLICY, XFRM_MSG_NEWSA } from './xfrm/constants.js';
import { buildDelPolicy, buildDelPolicyByIndex, buildNewPolicy, buildPolicyDump, parsePolicy, type DumpedPolicy, type NewPolicy } from './xfrm/policy.js';
import { buildDelSa, buildNewSa, buildSaDump, parseSa, type DumpedSa, type SaId } from './xfrm/state.js';
import { XfrmSocket, type XfrmTransport } from './xfrm-socket.js';

export interface SaManagerOptions {
  /** random integer in [0, bound); injected for tests */
  random?: (bound: number) => number;
  /** one line per installed/removed set; never given keys */
  log?: (line: string) => void;
}

interface LiveSet {
  set: InstalledSaSet;
  plan: SaPlan;
}

const hex = (spi: number): string => `0x${spi.toString(16)}`;
const saText = (sa: SaId): string => `SA ${sa.src} -> ${sa.dst} spi ${hex(sa.spi)}`;
const policyText = (p: NewPolicy): string =>
  `policy ${p.dir} ${p.selector.src}:${p.selector.sport} -> ${p.selector.dst}:${p.selector.dport} proto ${p.selector.proto}`;
const ENOENT = 2;
/** SPIs we hand out: above the IANA-reserved 1..255 (RFC 4303 2.1), below 2^31 for peers that parse them as signed */
const SPI_MIN = 0x1000;
const SPI_MAX = 0x7fffffff;
/** anti-replay on every SA (RFC 4303 3.4.3; TS 33.203 6.3 asks for replay protection); Kamailio's P-CSCF uses 32 too */
const REPLAY_WINDOW = 32;

export class XfrmIpsecManager implements IpsecManager {
  private readonly live = new Map<number, LiveSet>();
  private readonly handedOut = new Set<number>();
  private nextId = 1;
  private nextSlot: number;
  private readonly random: (bound: number) => number;
  private readonly log: (line: string) => void;
  private closed = false;

  constructor(private readonly transport: XfrmTransport, options: SaManagerOptions = {}) {
    this.random = options.random ?? ((bound) => Math.floor(Math.random() * bound));
    this.log = options.log ?? (() => undefined);
    this.nextSlot = this.random(SLOTS);
  }

  /** A manager on a NETLINK_XFRM socket in the process's network namespace. */
  static open(options: SaManagerOptions = {}): XfrmIpsecManager {
    return new XfrmIpsecManager(new XfrmSocket({ onStray: options.log }), options);
  }

  async allocateSpis(): Promise<{ spiC: number; spiS: number }> {
    this.assertOpen('allocate-spis');
    const inKernel = new Set((await this.dumpSas()).map((s) => s.spi));
    const pick = (): number => {
      for (let i = 0; i < 1000; i++) {
        const spi = SPI_MIN + this.random(SPI_MAX - SPI_MIN + 1);
        if (!inKernel.has(spi) && !this.handedOut.has(spi)) {
          this.handedOut.add(spi);
          return spi;
        }
      }
      throw new IpsecError('allocate-spis', undefined, 'exhausted', 'no free SPI found');
    };
    return { spiC: pick(), spiS: pick() };
  }

  async install(spec: SaSetSpec): Promise<InstalledSaSet> {
    this.assertOpen('install');
    const keys = deriveEspKeys(spec.integrity, spec.encryption, spec.ik, spec.ck);
    // belt and braces: should a key ever reach a log line, the logger scrubs it
    for (const k of [spec.ik, spec.ck, keys.authKey, keys.encKey]) registerSecret(k);
    planSaSet(spec.ue, spec.pcscf, 0); // validates before anything reaches the kernel
    const slot = await this.freeSlot();
    const plan = planSaSet(spec.ue, spec.pcscf, slot);
    const addedSas: SaId[] = [];
    const addedPolicies: NewPolicy[] = [];
    try {
      for (const sa of plan.sas) {
        await this.transport.request('add-sa', (seq) => buildNewSa({ ...sa, ...keys, replayWindow: REPLAY_WINDOW }, seq), saText(sa));
        addedSas.push(sa);
      }
      for (const p of plan.policies) {
        await this.transport.request('add-policy', (seq) => buildNewPolicy(p, seq), policyText(p));
        addedPolicies.push(p);
      }
    } catch (e) {
      // leave nothing half-installed; the first error is the one reported
      await this.deleteAll(addedPolicies, addedSas).catch(() => undefined);
      throw e;
    }
    const set: InstalledSaSet = Object.freeze({
      id: this.nextId++,
      ue: Object.freeze({ ...spec.ue }) as SecurityEndpoint,
      pcscf: Object.freeze({ ...spec.pcscf }) as SecurityEndpoint,
      integrity: spec.integrity,
      encryption: spec.encryption,
    });
    this.live.set(set.id, { set, plan });
    this.log(`ipsec: set ${set.id} installed: UE ${spec.ue.address} ports ${spec.ue.portC}/${spec.ue.portS} spis ${hex(spec.ue.spiC)}/${hex(spec.ue.spiS)}, ` +
      `P-CSCF ${spec.pcscf.address} ports ${spec.pcscf.portC}/${spec.pcscf.portS} spis ${hex(spec.pcscf.spiC)}/${hex(spec.pcscf.spiS)}, ` +
      `${spec.integrity}/${spec.encryption}`);
    return set;
  }

  async remove(set: InstalledSaSet): Promise<void> {
    const l = this.live.get(set.id);
    if (!l) return;
    this.live.delete(set.id);
    await this.deleteAll(l.plan.policies, l.plan.sas);
    this.log(`ipsec: set ${set.id} removed`);
  }

  async removeStale(): Promise<number> {
    this.assertOpen('install');
    const liveReqids = new Set<number>();
    for (const l of this.live.values()) for (const sa of l.plan.sas) liveReqids.add(sa.reqid);
    const stale = (reqid: number): boolean => isOurReqid(reqid) && !liveReqids.has(reqid);
    let count = 0;
    for (const p of await this.dumpPolicies()) {
      if (p.tmpls.length === 0 || !p.tmpls.every((t) => stale(t.reqid))) continue;
      if (await this.ignoreEnoent(this.transport.request('delete-policy', (seq) => buildDelPolicyByIndex(p.index, p.dirNumber, seq),
        `stale policy index ${p.index}`))) count++;
    }
    for (const sa of await this.dumpSas()) {
      if (!stale(sa.reqid) || sa.proto !== IPPROTO_ESP) continue;
      if (await this.ignoreEnoent(this.transport.request('delete-sa', (seq) => buildDelSa(sa, seq), `stale ${saText(sa)}`))) count++;
    }
    if (count > 0) this.log(`ipsec: removed ${count} stale SAs and policies`);
    return count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    let first: unknown;
    for (const l of [...this.live.values()]) {
      try {
        await this.remove(l.set);
      } catch (e) {
        first ??= e;
      }
    }
    this.closed = true;
    this.transport.close();
    if (first) throw first;
  }

  /** Delete policies then SAs; ENOENT (already gone) is fine; the first other error is thrown after trying all. */
  private async deleteAll(policies: NewPolicy[], sas: SaId[]): Promise<void> {
    let first: unknown;
    const attempt = async (p: Promise<void>): Promise<void> => {
      try {
        await this.ignoreEnoent(p);
      } catch (e) {
        first ??= e;
      }
    };
    for (const p of policies) await attempt(this.transport.request('delete-policy', (seq) => buildDelPolicy(p, seq), policyText(p)));
    for (const sa of sas) await attempt(this.transport.request('delete-sa', (seq) => buildDelSa(sa, seq), saText(sa)));
    if (first) throw first;
  }

  /** true if deleted, false if it was already gone */
  private async ignoreEnoent(p: Promise<void>): Promise<boolean> {
    try {
      await p;
      return true;
    } catch (e) {
      if (e instanceof IpsecError && e.errno === ENOENT) return false;
      throw e;
    }
  }

  /** A slot whose four reqids no SA or policy in the kernel uses (a crashed run's may still be there). */
  private async freeSlot(): Promise<number> {
    const used = new Set<number>();
    for (const sa of await this.dumpSas()) used.add(sa.reqid);
    for (const p of await this.dumpPolicies()) for (const t of p.tmpls) used.add(t.reqid);
    const liveSlots = new Set([...this.live.values()].map((l) => l.plan.sas[0].reqid));
    for (let i = 0; i < SLOTS; i++) {
      const slot = (this.nextSlot + i) % SLOTS;
      if (liveSlots.has(reqidOf(slot, 0))) continue;
      if ([0, 1, 2, 3].some((k) => used.has(reqidOf(slot, k)))) continue;
      this.nextSlot = (slot + 1) % SLOTS;
      return slot;
    }
    throw new IpsecError('install', undefined, 'exhausted', 'every imsd reqid is in use');
  }

  private async dumpSas(): Promise<DumpedSa[]> {
    const msgs = await this.transport.dump('dump-sa', buildSaDump);
    return msgs.filter((m) => m.type === XFRM_MSG_NEWSA).map(parseSa);
  }

  private async dumpPolicies(): Promise<DumpedPolicy[]> {
    const msgs = await this.transport.dump('dump-policy', buildPolicyDump);
    return msgs.filter((m) => m.type === XFRM_MSG_NEWPOLICY).map(parsePolicy);
  }

  private assertOpen(op: 'install' | 'allocate-spis'): void {
    if (this.closed) throw new IpsecError(op, undefined, 'closed', 'the IPsec manager is closed');
  }
}
