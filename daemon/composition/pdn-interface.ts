// With Modem=simulated the IMS PDN is an existing network interface: its addresses stand for the
// PDN's. IPv6 link-local addresses are left out (a P-CSCF is never reached through them).
import { networkInterfaces } from 'node:os';

export class InterfaceError extends Error {
  override name = 'InterfaceError';
}

export function interfaceAddresses(name: string): string[] {
  const list = networkInterfaces()[name];
  if (!list) throw new InterfaceError(`network interface ${name} does not exist (in this network namespace)`);
  const addresses = list.filter((a) => !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'))).map((a) => a.address);
  if (addresses.length === 0) throw new InterfaceError(`network interface ${name} has no usable address`);
  return addresses;
}
