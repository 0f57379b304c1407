// The cards the SIM tests put in a virtual UICC: the lab's default subscriber keys
// (lab/hss/default-subscribers.ts, etc/imsd.conf), an ISIM with identities in the lab's home
// domain and a USIM-only card with a 3-digit MNC.
import type { CardContent } from './card-files.js';

export const TEST_K = '465b5ce8b199b49faa5f0a2ee238a6bc';
export const TEST_OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
/** the keys as lab/hss/aka-vectors.ts takes them (authVector, verifyAuts) */
export const TEST_SUBSCRIBER = { k: Buffer.from(TEST_K, 'hex'), opc: Buffer.from(TEST_OPC, 'hex'), amf: Buffer.from('8000', 'hex') };
export const TEST_DOMAIN = 'ims.mnc001.mcc001.3gppnetwork.org';

/** an ISIM whose EF_PCSCF lists `pcscf.<domain>` and then `pcscfV4` */
export function isimCard(pcscfV4: string): CardContent {
  return {
    imsi: '001010000000001',
    mncLength: 2,
    isim: {
      impi: `001010000000001@${TEST_DOMAIN}`,
      domain: TEST_DOMAIN,
      impus: [`sip:+15550001@${TEST_DOMAIN}`, 'tel:+15550001'],
      pcscf: [{ type: 'fqdn', address: `pcscf.${TEST_DOMAIN}` }, { type: 'ipv4', address: pcscfV4 }],
    },
  };
}

export const USIM_CARD: CardContent = { imsi: '310150123456789', mncLength: 3 };
