// The members of oFono's interfaces the model serves, as oFono 1.31 introspects them
// (doc/manager-api.txt, modem-api.txt, sim-api.txt, network-api.txt, connman-api.txt).
import type { ArgSpec, InterfaceSpec, MethodSpec } from '../../../daemon/dbus/interfaces.js';
import { MANAGER, MODEM } from '../../../daemon/dbus/interfaces.js';

const a = (name: string, type: string): ArgSpec => ({ name, type });
const m = (inArgs: ArgSpec[] = [], outArgs: ArgSpec[] = []): MethodSpec => ({ in: inArgs, out: outArgs });
const propertyMethods = {
  GetProperties: m([], [a('properties', 'a{sv}')]),
  SetProperty: m([a('property', 's'), a('value', 'v')]),
};
const propertyChanged = { PropertyChanged: [a('name', 's'), a('value', 'v')] };

export { MANAGER, MODEM };

export const SIM_MANAGER: InterfaceSpec = { name: 'org.ofono.SimManager', methods: propertyMethods, signals: propertyChanged };

export const NETWORK_REGISTRATION: InterfaceSpec = { name: 'org.ofono.NetworkRegistration', methods: propertyMethods, signals: propertyChanged };

export const CONNECTION_MANAGER: InterfaceSpec = {
  name: 'org.ofono.ConnectionManager',
  methods: {
    ...propertyMethods,
    GetContexts: m([], [a('contexts_with_properties', 'a(oa{sv})')]),
    AddContext: m([a('type', 's')], [a('path', 'o')]),
    RemoveContext: m([a('path', 'o')]),
  },
  signals: {
    ...propertyChanged,
    ContextAdded: [a('path', 'o'), a('properties', 'a{sv}')],
    ContextRemoved: [a('path', 'o')],
  },
};

export const CONNECTION_CONTEXT: InterfaceSpec = { name: 'org.ofono.ConnectionContext', methods: propertyMethods, signals: propertyChanged };
