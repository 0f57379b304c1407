// The call service on an in-memory SIP network (tests/unit/daemon/sip/user-agents/network.ts):
// imsd's UE core at 10.45.0.2:5060, a scripted peer (standing in for the network and the far
// end) at 10.45.0.1:5060, a SimulatedDriver, and a registration stand-in that is "registered".
import { EventEmitter } from 'node:events';
import type { CallInfo } from '../../../../../daemon/dbus/backend.js';
import { startCallService } from '../../../../../daemon/ims/call/service.js';
import type { CallService, StartCallServiceOptions } from '../../../../../daemon/ims/call/types.js';
import type { Registration, SipContext } from '../../../../../daemon/ims/registration/service.js';
import type { IncomingCall } from '../../../../../daemon/sip/user-agents/index.js';
import type { UserAgentCoreOptions } from '../../../../../daemon/sip/user-agents/core.js';
import { SimulatedDriver } from '../../../../../modem-drivers/simulated/simulated-driver.js';
import type { MediaCapabilities, ModemCapabilities } from '../../../../../modem-drivers/driver.js';
import { Network, type Ua } from '../../sip/user-agents/network.js';

export const DOMAIN = 'ims.test';
export const IMPU = `sip:+15550001@${DOMAIN}`;

export interface CallEvent {
  event: 'added' | 'changed' | 'removed';
  call: CallInfo;
}

export interface Harness {
  net: Network;
  ue: Ua;
  peer: Ua;
  driver: SimulatedDriver;
  service: CallService;
  registration: Registration & { snapshot: Registration['snapshot'] };
  events: CallEvent[];
  /** INVITEs the peer received */
  peerCalls: IncomingCall[];
  /** set what the peer does with an INVITE */
  onPeerInvite: (call: IncomingCall) => void;
  states(id?: string): string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  capabilities?: Partial<ModemCapabilities>;
  media?: MediaCapabilities;
  service?: Partial<StartCallServiceOptions>;
  ue?: Partial<UserAgentCoreOptions>;
  peer?: Partial<UserAgentCoreOptions>;
  registered?: boolean;
}

export async function harness(o: HarnessOptions = {}): Promise<Harness> {
  const net = new Network();
  const holder: { registration?: Registration } = {};
  const ue = net.ua('ue', '10.45.0.2', 5060, {
    sessionTimer: false,
    supported: ['100rel', 'precondition', 'timer'],
    onInvite: (call) => holder.registration?.onInvite?.(call, sip),
    ...o.ue,
  });
  const h = { peerCalls: [] as IncomingCall[], onPeerInvite: (_c: IncomingCall) => undefined as void };
  const peer = net.ua('peer', '10.45.0.1', 5060, {
    sessionTimer: false,
    supported: ['100rel', 'precondition', 'timer'],
    onInvite: (call) => {
      h.peerCalls.push(call);
      h.onPeerInvite(call);
    },
    ...o.peer,
  });
  const sip: SipContext = { core: ue.core, ueAddress: '10.45.0.2', homeDomain: DOMAIN, impi: `001010000000001@${DOMAIN}` };
  const registration: Registration = {
    events: new EventEmitter(),
    snapshot: o.registered === false
      ? { state: 'idle', impus: [], serviceRoute: [] }
      : { state: 'registered', impus: [IMPU, 'tel:+15550001'], defaultImpu: IMPU, serviceRoute: ['<sip:orig@10.45.0.1:5060;lr>'] },
    sip: o.registered === false ? undefined : sip,
    onInvite: undefined,
    deregister: async () => undefined,
    register: async () => undefined,
    stop: async () => undefined,
  };
  holder.registration = registration;
  const driver = new SimulatedDriver({ interface: 'veth0', addresses: ['10.45.0.2'], pcscf: ['10.45.0.1'], capabilities: o.capabilities ?? {}, ...(o.media ? { media: o.media } : {}) });
  await driver.activateImsPdn();
  const service = startCallService({ registration, driver, clock: net.clock, rtpPorts: [41000, 41010], ...o.service });
  const events: CallEvent[] = [];
  for (const e of ['added', 'changed', 'removed'] as const) service.events.on(e, (call: CallInfo) => events.push({ event: e, call }));
  const out: Harness = {
    net,
    ue,
    peer,
    driver,
    service,
    registration: registration as Harness['registration'],
    events,
    get peerCalls() {
      return h.peerCalls;
    },
    set onPeerInvite(fn: (call: IncomingCall) => void) {
      h.onPeerInvite = fn;
    },
    get onPeerInvite() {
      return h.onPeerInvite;
    },
    states: (id?: string) => {
      const s: string[] = [];
      for (const e of events) if (!id || e.call.id === id) if (s.at(-1) !== e.call.state) s.push(e.call.state);
      return s;
    },
    close: async () => {
      await service.close();
      await net.flush();
      net.close();
      await driver.close();
    },
  };
  return out;
}

/** an answer to imsd's offer as an IMS network sends it: AMR-WB (imsd's payload type 96) and telephone-event/16000 (100) */
export function peerAnswer(o: { currLocal?: string; currRemote?: string; preconditions?: boolean; direction?: string; port?: number } = {}): string {
  const lines = ['v=0', 'o=- 7 7 IN IP4 10.45.0.1', 's=-', 'c=IN IP4 10.45.0.1', 't=0 0', `m=audio ${o.port ?? 31000} RTP/AVP 96 100`, 'a=rtpmap:96 AMR-WB/16000/1', 'a=fmtp:96 mode-change-capability=2;max-red=0', 'a=rtpmap:100 telephone-event/16000', 'a=fmtp:100 0-15', 'a=ptime:20'];
  if (o.preconditions !== false)
    lines.push(`a=curr:qos local ${o.currLocal ?? 'none'}`, `a=curr:qos remote ${o.currRemote ?? 'none'}`, 'a=des:qos mandatory local sendrecv', 'a=des:qos mandatory remote sendrecv', 'a=conf:qos remote sendrecv');
  lines.push(`a=${o.direction ?? 'sendrecv'}`);
  return lines.join('\r\n') + '\r\n';
}

/** an offer from the far end: AMR-WB BE (pt 104), AMR (110), telephone-event/16000 (105), optionally with preconditions */
export function peerOffer(o: { preconditions?: boolean; currLocal?: string; direction?: string; telephoneEvent?: boolean } = {}): string {
  const lines = ['v=0', 'o=- 9 9 IN IP4 10.45.0.1', 's=-', 'c=IN IP4 10.45.0.1', 't=0 0', `m=audio 32000 RTP/AVP 104 110${o.telephoneEvent === false ? '' : ' 105'}`, 'a=rtpmap:104 AMR-WB/16000', 'a=fmtp:104 max-red=0', 'a=rtpmap:110 AMR/8000'];
  if (o.telephoneEvent !== false) lines.push('a=rtpmap:105 telephone-event/16000', 'a=fmtp:105 0-15');
  if (o.preconditions) lines.push(`a=curr:qos local ${o.currLocal ?? 'none'}`, 'a=curr:qos remote none', 'a=des:qos mandatory local sendrecv', 'a=des:qos optional remote sendrecv');
  lines.push(`a=${o.direction ?? 'sendrecv'}`);
  return lines.join('\r\n') + '\r\n';
}
