// The lab's default subscribers: IMSI 001010000000001-003 with the TS 35.208 test set 1 K and
// OPc, AMF 8000, MSISDN +15550001-003. Written into a run directory (the HSS updates SQNs in place).
import type { SubscriberEntry } from './subscriber.js';

export function defaultLabSubscribers(): (SubscriberEntry & { msisdn: string })[] {
  return [1, 2, 3].map((i) => ({
    imsi: `00101000000000${i}`,
    k: '465b5ce8b199b49faa5f0a2ee238a6bc',
    opc: 'cd63cb71954a9f4e48a5994e37a02baf',
    amf: '8000',
    sqn: '000000000000',
    msisdn: `+1555000${i}`,
  }));
}
