// The Cx User-Data AVP value: an IMSSubscription document (TS 29.228 Annex D/E, schema
// CxDataType). One ServiceProfile holding every IMPU of the subscriber: an implicit
// registration set (TS 23.228 5.2.1a), so a 200 OK's P-Associated-URI lists them all.
import type { Subscriber } from './subscriber.js';

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function imsSubscriptionXml(sub: Pick<Subscriber, 'impi' | 'impus'>): string {
  const identities = sub.impus
    .map((impu) =>
      // BarringIndication 0: not barred (TS 29.228 Table E.2)
      `<PublicIdentity><BarringIndication>0</BarringIndication><Identity>${escapeXml(impu)}</Identity></PublicIdentity>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<IMSSubscription>' +
    `<PrivateID>${escapeXml(sub.impi)}</PrivateID>` +
    `<ServiceProfile>${identities}</ServiceProfile>` +
    '</IMSSubscription>'
  );
}
