// Where SIP messages come from and go to. Defined here, in the sans-I/O core, so that both the
// transaction layer and the transports (which implement the I/O) share one definition.

export type Protocol = 'udp' | 'tcp';

export interface Peer {
  /** IPv4 or IPv6 address (no brackets) */
  address: string;
  port: number;
}

export interface Destination extends Peer {
  protocol: Protocol;
}
