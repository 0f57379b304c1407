// What /etc/imsd/imsd.conf may say, checked key by key: an unknown group or key, or a bad value,
// is a ConfigError naming the file, the line and the reason. Secret values (Ki, Opc, Op) are
// never repeated in an error. Defaults are filled in here; see etc/imsd.conf for the documentation.
import { isIP } from 'node:net';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { ConfigError } from './errors.js';
import type { IniEntry, IniFile } from './ini.js';

export type ModemKind = 'simulated' | 'at' | 'mediatek' | 'ofono';
export type SimSourceKind = 'pcsc' | 'modem' | 'soft';
export type SecAgreeKind = 'ipsec-3gpp' | 'none';
export type TransportKind = 'udp' | 'tcp' | 'auto';
/** Modem=mediatek: who runs IMS (modem-drivers/mediatek/COMMANDS.md) */
export type MediatekModeKind = 'imsd' | 'modem-ims';

export interface ImsdConfig {
  file: string;
  general: {
    /** D-Bus bus: 'system' or an address such as unix:path=/run/x */
    bus: string;
    busName: string;
    modem: ModemKind;
    modemPath: string;
    stateDir: string;
  };
  sim: {
    source: SimSourceKind;
    reader?: string;
    imsi?: string;
    mncLength: number;
    ki?: string;
    opc?: string;
    op?: string;
    amf?: string;
  };
  ims: {
    pcscf?: string[];
    pcscfPort: number;
    interface?: string;
    domain?: string;
    impi?: string;
    impu?: string;
    secAgree: SecAgreeKind;
    transport: TransportKind;
    localPort: number;
  };
  log: { level: LogLevel };
  /** Modem=ofono only: the oFono modem path when [General] ModemPath is set (else the first fitting modem) */
  ofono?: { modemPath?: string };
  /** [Modem]: the AT modem (Modem=at, Modem=mediatek) */
  modem: {
    device?: string;
    baud: number;
    /** the IMS PDN's interface: a name, or a pattern with %d for the context id */
    interface?: string;
    apn: string;
    contextId: number;
    /** Modem=mediatek: imsd runs IMS (default), or the modem's own IMS stack does */
    mode: MediatekModeKind;
    /** Modem=mediatek: the modem carries RTP (default false) */
    modemRtp: boolean;
    /** Modem=simulated: each call's RTP runs on the AP (modem-drivers/rtp/: G.711 tone, RFC 4733 DTMF; default false: recorded only) */
    apRtp: boolean;
  };
}

export const DEFAULTS = {
  bus: 'system',
  busName: 'org.imsd',
  modemPath: '/imsd_0',
  stateDir: '/var/lib/imsd',
  pcscfPort: 5060,
  localPort: 5060,
  baud: 115200,
  apn: 'ims',
  contextId: 1,
} as const;

type Setter = (c: ImsdConfig, value: string, fail: (reason: string) => never) => void;

const HEX32 = /^[0-9a-fA-F]{32}$/;

function oneOf<T extends string>(what: string, allowed: readonly T[]): (v: string, fail: (r: string) => never) => T {
  return (v, fail) => {
    if ((allowed as readonly string[]).includes(v)) return v as T;
    return fail(`${what} must be one of ${allowed.join(', ')} (not "${v}")`);
  };
}

function port(v: string, fail: (r: string) => never, allowZero: boolean): number {
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= (allowZero ? 0 : 1) && n <= 65535)) fail(`expected a port number ${allowZero ? '0' : '1'}-65535 (not "${v}")`);
  return n;
}

/** a secret: its value is never shown, only what is wrong with its form */
function secretHex(name: string): (v: string, fail: (r: string) => never) => string {
  return (v, fail) => (HEX32.test(v) ? v.toLowerCase() : fail(`${name} must be 32 hexadecimal digits (value not shown)`));
}

// D-Bus specification, "Bus names": elements of [A-Za-z0-9_-], not starting with a digit, two or more, at most 255 characters
const BUS_NAME = /^[A-Za-z_-][A-Za-z0-9_-]*(\.[A-Za-z_-][A-Za-z0-9_-]*)+$/;
// D-Bus specification, "Valid object paths"
const OBJECT_PATH = /^\/([A-Za-z0-9_]+(\/[A-Za-z0-9_]+)*)?$/;

const SCHEMA: Record<string, Record<string, Setter>> = {
  General: {
    Bus: (c, v, fail) => {
      if (v !== 'system' && !/^unix:(path|abstract)=/.test(v)) fail(`Bus must be "system" or a unix: address (not "${v}")`);
      c.general.bus = v;
    },
    BusName: (c, v, fail) => {
      if (!BUS_NAME.test(v) || v.length > 255) fail(`BusName "${v}" is not a valid D-Bus well-known name`);
      c.general.busName = v;
    },
    Modem: (c, v, fail) => {
      c.general.modem = oneOf('Modem', ['simulated', 'at', 'mediatek', 'ofono'] as const)(v, fail);
    },
    ModemPath: (c, v, fail) => {
      if (!OBJECT_PATH.test(v)) fail(`ModemPath "${v}" is not a valid D-Bus object path`);
      c.general.modemPath = v;
    },
    StateDir: (c, v, fail) => {
      if (!v.startsWith('/')) fail(`StateDir must be an absolute path (not "${v}")`);
      c.general.stateDir = v;
    },
  },
  Sim: {
    Source: (c, v, fail) => {
      c.sim.source = oneOf('Source', ['pcsc', 'modem', 'soft'] as const)(v, fail);
    },
    Reader: (c, v, fail) => {
      if (v === '') fail('Reader must not be empty (leave it out for the first reader with a card)');
      c.sim.reader = v;
    },
    Imsi: (c, v, fail) => {
      // TS 23.003 2.2: MCC (3) + MNC (2-3) + MSIN, at most 15 digits
      if (!/^\d{6,15}$/.test(v)) fail(`Imsi must be 6-15 digits (not "${v}")`);
      c.sim.imsi = v;
    },
    MncLength: (c, v, fail) => {
      if (v !== '2' && v !== '3') fail(`MncLength must be 2 or 3 (not "${v}")`);
      c.sim.mncLength = Number(v);
    },
    Ki: (c, v, fail) => {
      c.sim.ki = secretHex('Ki')(v, fail);
    },
    Opc: (c, v, fail) => {
      c.sim.opc = secretHex('Opc')(v, fail);
    },
    Op: (c, v, fail) => {
      c.sim.op = secretHex('Op')(v, fail);
    },
    Amf: (c, v, fail) => {
      if (!/^[0-9a-fA-F]{4}$/.test(v)) fail(`Amf must be 4 hexadecimal digits (not "${v}")`);
      c.sim.amf = v.toLowerCase();
    },
  },
  Ims: {
    Pcscf: (c, v, fail) => {
      const list = v.split(/[;,\s]+/).filter((x) => x !== '');
      if (list.length === 0) fail('Pcscf must list at least one IP address (leave it out to use the network\'s)');
      for (const a of list) if (isIP(a) === 0) fail(`Pcscf: "${a}" is not an IPv4 or IPv6 address`);
      c.ims.pcscf = list;
    },
    PcscfPort: (c, v, fail) => {
      c.ims.pcscfPort = port(v, fail, false);
    },
    Interface: (c, v, fail) => {
      // Linux IFNAMSIZ is 16 including the NUL
      if (!/^[^\s/:]{1,15}$/.test(v)) fail(`Interface "${v}" is not a valid network interface name`);
      c.ims.interface = v;
    },
    Domain: (c, v, fail) => {
      if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(v)) fail(`Domain "${v}" is not a domain name`);
      c.ims.domain = v;
    },
    Impi: (c, v, fail) => {
      // TS 23.003 13.3: the IMPI has the form of an NAI, user@realm
      if (!/^[^@\s]+@[^@\s]+$/.test(v)) fail(`Impi "${v}" must have the form user@realm`);
      c.ims.impi = v;
    },
    Impu: (c, v, fail) => {
      if (!/^(sip|tel):\S+$/.test(v)) fail(`Impu "${v}" must be a sip: or tel: URI`);
      c.ims.impu = v;
    },
    SecAgree: (c, v, fail) => {
      c.ims.secAgree = oneOf('SecAgree', ['ipsec-3gpp', 'none'] as const)(v, fail);
    },
    Transport: (c, v, fail) => {
      c.ims.transport = oneOf('Transport', ['udp', 'tcp', 'auto'] as const)(v, fail);
    },
    LocalPort: (c, v, fail) => {
      c.ims.localPort = port(v, fail, true);
    },
  },
  Modem: {
    Device: (c, v, fail) => {
      if (!v.startsWith('/')) fail(`Device must be an absolute path such as /dev/ttyUSB2 (not "${v}")`);
      c.modem.device = v;
    },
    Baud: (c, v, fail) => {
      const n = /^\d{3,7}$/.test(v) ? Number(v) : NaN;
      if (!(n >= 300 && n <= 4000000)) fail(`Baud must be a bit rate 300-4000000 (not "${v}")`);
      c.modem.baud = n;
    },
    Interface: (c, v, fail) => {
      // IFNAMSIZ 16 with the NUL; %d stands for the context id (1-3 digits)
      if (!/^[^\s/:]{1,15}$/.test(v.replace('%d', '1')) || (v.match(/%/g) ?? []).length > (v.includes('%d') ? 1 : 0)) {
        fail(`Interface "${v}" is not a network interface name or a pattern with one %d`);
      }
      c.modem.interface = v;
    },
    Apn: (c, v, fail) => {
      // TS 23.003 9.1: labels of letters, digits and hyphens, dot-separated, at most 100 octets
      if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(v) || v.length > 100) fail(`Apn "${v}" is not an access point name`);
      c.modem.apn = v;
    },
    ContextId: (c, v, fail) => {
      const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 255)) fail(`ContextId must be a PDP context id 1-255 (not "${v}")`);
      c.modem.contextId = n;
    },
    Mode: (c, v, fail) => {
      c.modem.mode = oneOf('Mode', ['imsd', 'modem-ims'] as const)(v, fail);
    },
    ModemRtp: (c, v, fail) => {
      if (v !== 'true' && v !== 'false') fail(`ModemRtp must be true or false (not "${v}")`);
      c.modem.modemRtp = v === 'true';
    },
    ApRtp: (c, v, fail) => {
      if (v !== 'true' && v !== 'false') fail(`ApRtp must be true or false (not "${v}")`);
      c.modem.apRtp = v === 'true';
    },
  },
  Log: {
    Level: (c, v, fail) => {
      if (!isLogLevel(v)) return fail(`Level must be one of ${LOG_LEVELS.join(', ')} (not "${v}")`);
      c.log.level = v;
    },
  },
};

function defaults(file: string): ImsdConfig {
  return {
    file,
    general: { bus: DEFAULTS.bus, busName: DEFAULTS.busName, modem: 'simulated', modemPath: DEFAULTS.modemPath, stateDir: DEFAULTS.stateDir },
    sim: { source: 'soft', mncLength: 2 },
    ims: { pcscfPort: DEFAULTS.pcscfPort, secAgree: 'ipsec-3gpp', transport: 'auto', localPort: DEFAULTS.localPort },
    log: { level: 'info' },
    modem: { baud: DEFAULTS.baud, apn: DEFAULTS.apn, contextId: DEFAULTS.contextId, mode: 'imsd', modemRtp: false, apRtp: false },
  };
}

function suggestion(known: string[], name: string): string {
  const same = known.find((k) => k.toLowerCase() === name.toLowerCase());
  return same ? ` (did you mean ${same}? names are case-sensitive)` : ` (known: ${known.join(', ')})`;
}

/** Check a parsed key file and fill in the defaults. */
export function buildConfig(ini: IniFile): ImsdConfig {
  const c = defaults(ini.file);
  for (const [group, line] of ini.groups) {
    if (!SCHEMA[group]) throw new ConfigError(ini.file, line, `unknown group [${group}]${suggestion(Object.keys(SCHEMA), group)}`);
  }
  const lineOf = new Map<string, IniEntry>();
  for (const e of ini.entries) {
    const setters = SCHEMA[e.group]!;
    const set = setters[e.key];
    if (!set) throw new ConfigError(ini.file, e.line, `unknown key ${e.key} in [${e.group}]${suggestion(Object.keys(setters), e.key)}`);
    set(c, e.value, (reason) => {
      throw new ConfigError(ini.file, e.line, reason);
    });
    lineOf.set(`${e.group}.${e.key}`, e);
  }
  checkTogether(c, lineOf, ini.groups);
  return c;
}

/** [Modem] and Source=modem belong to Modem=at. */
function checkModem(c: ImsdConfig, at: Map<string, IniEntry>, fail: (key: string, reason: string) => never): void {
  const modemIms = c.general.modem === 'mediatek' && c.modem.mode === 'modem-ims';
  if (c.sim.source === 'modem' && c.general.modem !== 'at' && !modemIms) {
    fail('Sim.Source', `Source=modem reads the SIM through the modem's AT commands: it needs Modem=at (not ${c.general.modem}), or Modem=mediatek with Mode=modem-ims`);
  }
  for (const k of ['Mode', 'ModemRtp'] as const) {
    if (at.has(`Modem.${k}`) && c.general.modem !== 'mediatek') fail(`Modem.${k}`, `${k} in [Modem] applies only to Modem=mediatek`);
  }
  if (at.has('Modem.ApRtp') && c.general.modem !== 'simulated') fail('Modem.ApRtp', 'ApRtp in [Modem] applies only to Modem=simulated so far (the AP\'s RTP is not wired to the other drivers yet)');
  if (c.general.modem === 'mediatek') {
    for (const k of ['Baud', 'Interface', 'ContextId'] as const) {
      // +EPDN names the interface (ccmni<N>) and the modem picks the context id
      if (at.has(`Modem.${k}`)) fail(`Modem.${k}`, `${k} in [Modem] applies only to Modem=at`);
    }
    if (!c.modem.device) fail('General.Modem', 'Modem=mediatek needs Device in [Modem] (the AT channel: an ATCI socket, a CCCI tty or a pty)');
    if (c.ims.interface !== undefined) fail('Ims.Interface', 'with Modem=mediatek the PDN\'s interface (ccmni<N>) comes from the modem, not from [Ims]');
    return;
  }
  if (c.general.modem !== 'at') {
    for (const k of ['Device', 'Baud', 'Interface', 'Apn', 'ContextId'] as const) {
      if (at.has(`Modem.${k}`)) fail(`Modem.${k}`, `${k} in [Modem] applies only to Modem=at${k === 'Device' || k === 'Apn' ? ' and Modem=mediatek' : ''}`);
    }
    return;
  }
  if (!c.modem.device) fail('General.Modem', 'Modem=at needs Device in [Modem] (the modem\'s AT port, e.g. /dev/ttyUSB2)');
  if (!c.modem.interface) fail('General.Modem', 'Modem=at needs Interface in [Modem] (the IMS PDN\'s network interface, e.g. wwan0, or wwan%d for the context id)');
  if (c.ims.interface !== undefined) fail('Ims.Interface', 'with Modem=at the PDN\'s interface is Interface in [Modem], not in [Ims]');
}

/** Rules between keys; the error points at the line of the key that does not fit. */
function checkTogether(c: ImsdConfig, at: Map<string, IniEntry>, groups: Map<string, number>): void {
  // the key's own line, else its group's header, else the file as a whole
  const lineOf = (key: string): number | undefined => at.get(key)?.line ?? groups.get(key.split('.')[0]!);
  const fail = (key: string, reason: string): never => {
    throw new ConfigError(c.file, lineOf(key), reason);
  };
  const modemIms = c.general.modem === 'mediatek' && c.modem.mode === 'modem-ims';
  // Mode=modem-ims: the modem authenticates with the SIM in it; without [Sim] that is the SIM imsd means
  if (modemIms && !groups.has('Sim')) c.sim.source = 'modem';
  checkModem(c, at, fail);
  const s = c.sim;
  if (modemIms) {
    checkModemImsSim(c, at, fail);
  } else if (s.source === 'soft') {
    if (!s.imsi) fail('Sim.Source', 'Source=soft needs Imsi in [Sim]');
    if (!s.ki) fail('Sim.Source', 'Source=soft needs Ki in [Sim]');
    if (!s.opc && !s.op) fail('Sim.Source', 'Source=soft needs Opc or Op in [Sim]');
    if (s.opc && s.op) fail('Sim.Op', 'give either Opc or Op, not both');
    if (s.reader !== undefined) fail('Sim.Reader', 'Reader applies only to Source=pcsc');
  } else {
    for (const k of ['Imsi', 'Ki', 'Opc', 'Op', 'Amf', 'MncLength'] as const) {
      if (at.has(`Sim.${k}`)) fail(`Sim.${k}`, `${k} applies only to Source=soft (the card has its own)`);
    }
    if (s.source !== 'pcsc' && s.reader !== undefined) fail('Sim.Reader', 'Reader applies only to Source=pcsc');
    for (const k of ['Impi', 'Domain'] as const) {
      if (at.has(`Ims.${k}`)) fail(`Ims.${k}`, `${k} applies only to Source=soft (the card has its own)`);
    }
  }
  if (c.general.modem === 'ofono') checkOfono(c, at, fail);
  if (c.general.modem === 'simulated' && !c.ims.interface) {
    fail('General.Modem', 'Modem=simulated needs Interface in [Ims] (the interface whose address stands for the IMS PDN)');
  }
  if (c.general.modem === 'simulated' && !c.ims.pcscf) {
    fail('General.Modem', 'Modem=simulated needs Pcscf in [Ims] (the simulated network announces none)');
  }
}

/**
 * Mode=modem-ims: the modem runs AKA with its own SIM, so no key is needed. [Sim] may be left out
 * (Source=modem: the IMSI comes from AT+CIMI) or give Source=soft with just Imsi (the IMSI the
 * Registration setting is remembered under); a PC/SC card is not the modem's SIM.
 */
function checkModemImsSim(c: ImsdConfig, at: Map<string, IniEntry>, fail: (key: string, reason: string) => never): void {
  const s = c.sim;
  if (s.source === 'pcsc') fail('Sim.Source', 'with Mode=modem-ims the modem authenticates with the SIM in it: use Source=modem (or leave [Sim] out), not pcsc');
  if (s.source === 'soft' && !s.imsi) fail('Sim.Source', 'Source=soft with Mode=modem-ims needs Imsi in [Sim] (or leave [Sim] out: the modem gives the IMSI)');
  for (const k of ['Ki', 'Opc', 'Op', 'Amf'] as const) {
    if (at.has(`Sim.${k}`)) fail(`Sim.${k}`, `${k} is not used with Mode=modem-ims (the modem authenticates with its own SIM): leave it out`);
  }
  if (s.source === 'modem' && at.has('Sim.Imsi')) fail('Sim.Imsi', 'Imsi applies only to Source=soft (the modem gives the IMSI)');
  if (s.reader !== undefined) fail('Sim.Reader', 'Reader applies only to Source=pcsc');
}

/** Modem=ofono: oFono owns org.ofono and names the PDN's interface; ModemPath picks its modem. */
function checkOfono(c: ImsdConfig, at: Map<string, IniEntry>, fail: (key: string, reason: string) => never): void {
  if (c.general.busName === 'org.ofono') {
    fail(at.has('General.BusName') ? 'General.BusName' : 'General.Modem', 'Modem=ofono needs oFono to own org.ofono: use BusName=org.imsd (companion mode)');
  }
  if (c.ims.interface !== undefined) fail('Ims.Interface', 'Interface applies only to Modem=simulated (oFono reports the IMS PDN\'s interface)');
  c.ofono = {};
  if (at.has('General.ModemPath')) {
    if (c.general.modemPath === '/') fail('General.ModemPath', 'ModemPath must name an oFono modem such as /ril_0, not /');
    c.ofono.modemPath = c.general.modemPath;
  }
}
