// The oFono interfaces imsd exposes, member by member. dbus-interfaces/*.xml is the published
// source of truth; tests/integration/daemon/dbus/introspection.test.ts asserts that what the live
// service introspects (built from this table) equals those files.

export interface ArgSpec {
  name: string;
  type: string;
}

export interface MethodSpec {
  in: ArgSpec[];
  out: ArgSpec[];
}

export interface InterfaceSpec {
  name: string;
  methods: Record<string, MethodSpec>;
  signals: Record<string, ArgSpec[]>;
}

const a = (name: string, type: string): ArgSpec => ({ name, type });
const m = (inArgs: ArgSpec[] = [], outArgs: ArgSpec[] = []): MethodSpec => ({ in: inArgs, out: outArgs });

export const signatureOf = (args: ArgSpec[]): string => args.map((x) => x.type).join('');

const propertyChanged = [a('name', 's'), a('value', 'v')];

export const MANAGER: InterfaceSpec = {
  name: 'org.ofono.Manager',
  methods: { GetModems: m([], [a('modems', 'a(oa{sv})')]) },
  signals: {
    ModemAdded: [a('path', 'o'), a('properties', 'a{sv}')],
    ModemRemoved: [a('path', 'o')],
  },
};

export const MODEM: InterfaceSpec = {
  name: 'org.ofono.Modem',
  methods: {
    GetProperties: m([], [a('properties', 'a{sv}')]),
    SetProperty: m([a('property', 's'), a('value', 'v')]),
  },
  signals: { PropertyChanged: propertyChanged },
};

export const IP_MULTIMEDIA_SYSTEM: InterfaceSpec = {
  name: 'org.ofono.IpMultimediaSystem',
  methods: {
    GetProperties: m([], [a('properties', 'a{sv}')]),
    SetProperty: m([a('property', 's'), a('value', 'v')]),
    Register: m(),
    Unregister: m(),
  },
  signals: { PropertyChanged: propertyChanged },
};

export const VOICE_CALL_MANAGER: InterfaceSpec = {
  name: 'org.ofono.VoiceCallManager',
  methods: {
    GetProperties: m([], [a('properties', 'a{sv}')]),
    Dial: m([a('number', 's'), a('hide_callerid', 's')], [a('path', 'o')]),
    DialLast: m([], [a('path', 'o')]),
    DialMemory: m([a('position', 's'), a('hide_callerid', 's')], [a('path', 'o')]),
    Transfer: m(),
    SwapCalls: m(),
    ReleaseAndAnswer: m(),
    ReleaseAndSwap: m(),
    HoldAndAnswer: m(),
    HangupAll: m(),
    PrivateChat: m([a('call', 'o')], [a('calls', 'ao')]),
    CreateMultiparty: m([], [a('calls', 'ao')]),
    HangupMultiparty: m(),
    SendTones: m([a('tones', 's')]),
    GetCalls: m([], [a('calls_with_properties', 'a(oa{sv})')]),
  },
  signals: {
    Forwarded: [a('type', 's')],
    BarringActive: [a('type', 's')],
    PropertyChanged: propertyChanged,
    CallAdded: [a('path', 'o'), a('properties', 'a{sv}')],
    CallRemoved: [a('path', 'o')],
  },
};

export const VOICE_CALL: InterfaceSpec = {
  name: 'org.ofono.VoiceCall',
  methods: {
    GetProperties: m([], [a('properties', 'a{sv}')]),
    Deflect: m([a('number', 's')]),
    Hangup: m(),
    Answer: m(),
  },
  signals: {
    PropertyChanged: propertyChanged,
    DisconnectReason: [a('reason', 's')],
  },
};

export const ALL_INTERFACES: InterfaceSpec[] = [MANAGER, MODEM, IP_MULTIMEDIA_SYSTEM, VOICE_CALL_MANAGER, VOICE_CALL];
