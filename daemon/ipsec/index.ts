// daemon/ipsec: what the rest of imsd uses (the contract in types.ts and its XFRM implementation).
export * from './types.js';
export { XfrmIpsecManager, type SaManagerOptions } from './sa-manager.js';
