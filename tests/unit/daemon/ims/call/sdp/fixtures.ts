// Session descriptions as real peers send them, for the SDP unit tests.

/** baresip 1.0 (Debian 12) offering with g711 only, as the lab's far end does */
export const BARESIP_OFFER = [
  'v=0',
  'o=- 1858372547 1658137066 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40060 RTP/AVP 0 8 101',
  'b=AS:64',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=ssrc:2233883749 cname:6b8b6a8e-51ab-4e5c-90ad-51e31c25bbb3',
  'a=rtcp-rsize',
  '',
].join('\r\n');

/** SIPp's uac scenario body (static payload type 0 without rtpmap is legal, RFC 3551) */
export const SIPP_OFFER = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** a VoLTE network's 183 answer to an IR.92 offer: AMR-WB octet-aligned with segmented preconditions, LF line ends */
export const OPERATOR_183 = [
  'v=0',
  'o=- 1 1 IN IP6 2001:db8::53',
  's=-',
  'c=IN IP6 2001:db8::53',
  'b=AS:49',
  't=0 0',
  'm=audio 31000 RTP/AVP 97 99',
  'b=AS:49',
  'b=RS:0',
  'b=RR:0',
  'a=rtpmap:97 AMR-WB/16000/1',
  'a=fmtp:97 mode-change-capability=2;max-red=0;octet-align=1',
  'a=rtpmap:99 telephone-event/16000',
  'a=fmtp:99 0-15',
  'a=ptime:20',
  'a=maxptime:240',
  'a=curr:qos local none',
  'a=curr:qos remote none',
  'a=des:qos mandatory local sendrecv',
  'a=des:qos mandatory remote sendrecv',
  'a=conf:qos remote sendrecv',
  'a=sendrecv',
  '',
].join('\n');

/** a VoLTE UE's offer (AMR-WB, AMR, each BE and OA, telephone-event at both rates) */
export const VOLTE_OFFER = [
  'v=0',
  'o=rue 3018 3018 IN IP4 10.0.0.7',
  's=-',
  'c=IN IP4 10.0.0.7',
  'b=AS:41',
  't=0 0',
  'm=audio 1234 RTP/AVP 104 102 110 108 105 100',
  'b=AS:41',
  'a=rtpmap:104 AMR-WB/16000',
  'a=fmtp:104 mode-change-capability=2;max-red=0',
  'a=rtpmap:102 AMR-WB/16000',
  'a=fmtp:102 octet-align=1;mode-change-capability=2;max-red=0',
  'a=rtpmap:110 AMR/8000',
  'a=fmtp:110 mode-change-capability=2;max-red=0',
  'a=rtpmap:108 AMR/8000',
  'a=fmtp:108 octet-align=1;mode-change-capability=2;max-red=0',
  'a=rtpmap:105 telephone-event/16000',
  'a=fmtp:105 0-15',
  'a=rtpmap:100 telephone-event/8000',
  'a=fmtp:100 0-15',
  'a=curr:qos local none',
  'a=curr:qos remote none',
  'a=des:qos mandatory local sendrecv',
  'a=des:qos optional remote sendrecv',
  'a=sendrecv',
  'a=ptime:20',
  'a=maxptime:240',
  '',
].join('\r\n');
