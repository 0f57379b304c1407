import assert from 'node:assert/strict';
import { ReginfoError } from '../../../../../daemon/ims/registration/errors.js';
import { parseReginfo } from '../../../../../daemon/ims/registration/reginfo.js';

// shaped like Kamailio ims_registrar_scscf's reg-event NOTIFY body
const KAMAILIO = `<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" xmlns:gr="urn:ietf:params:xml:ns:gruuinfo" version="0" state="full">
<registration aor="sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org" id="0x7f" state="active">
<contact id="0x7f1" state="active" event="registered" expires="599998">
<uri>sip:10.45.0.2:5060</uri>
<unknown-param name="+sip.instance">"&lt;urn:uuid:1234&gt;"</unknown-param>
</contact>
</registration>
<registration aor="tel:+15550001" id="0x80" state="active">
<contact id="0x801" state="active" event="registered" expires="599998"><uri>sip:10.45.0.2:5060</uri></contact>
</registration>
</reginfo>`;

describe('ims/registration reginfo (RFC 3680)', () => {
  it('reads registrations, contacts, expiry and unknown params', () => {
    const r = parseReginfo(KAMAILIO);
    assert.equal(r.version, 0);
    assert.equal(r.state, 'full');
    assert.deepEqual(r.registrations.map((x) => [x.aor, x.state]), [
      ['sip:001010000000001@ims.mnc001.mcc001.3gppnetwork.org', 'active'],
      ['tel:+15550001', 'active'],
    ]);
    const c = r.registrations[0]!.contacts[0]!;
    assert.equal(c.uri, 'sip:10.45.0.2:5060');
    assert.equal(c.expires, 599998);
    assert.equal(c.event, 'registered');
    assert.equal(c.params.get('+sip.instance'), '"<urn:uuid:1234>"');
  });

  it('is robust to prefixes, comments, CDATA and unknown elements', () => {
    const r = parseReginfo(`<!-- hi --><ri:reginfo xmlns:ri="urn:ietf:params:xml:ns:reginfo" version='3' state='partial'>
      <ri:registration aor="sip:a@b" id="1" state="terminated"><x:vendor xmlns:x="urn:x"><deep/></x:vendor>
      <ri:contact id="c" state="terminated" event="deactivated"><ri:uri><![CDATA[sip:1.2.3.4:5]]></ri:uri></ri:contact></ri:registration></ri:reginfo>`);
    assert.equal(r.version, 3);
    assert.equal(r.registrations[0]!.contacts[0]!.event, 'deactivated');
    assert.equal(r.registrations[0]!.contacts[0]!.uri, 'sip:1.2.3.4:5');
  });

  it('throws ReginfoError on malformed documents', () => {
    const bad = [
      '',
      'not xml',
      '<reginfo version="0" state="full"><registration aor="a" id="1" state="active"></reginfo>',
      '<other/>',
      '<reginfo state="full"/>',
      '<reginfo version="x" state="full"/>',
      '<reginfo version="1" state="full"><registration aor="a" id="1" state="weird"/></reginfo>',
      '<reginfo version="1" state="full"><registration aor="a" id="1" state="active"><contact id="c" state="active" event="registered"/></registration></reginfo>',
      '<reginfo version="1" state="full">&bogus;</reginfo>',
    ];
    for (const b of bad) assert.throws(() => parseReginfo(b), ReginfoError, b);
  });
});
