// Pieces of SIPp scenarios built in TypeScript (tests and benches).

/**
 * SIPp's 200 OK, without a body, to the request it received last: Via, From, To, Call-ID and CSeq
 * copied from it (RFC 3261 8.2.6.2; the To tag is already there for an in-dialog request).
 */
export const SIPP_OK_TO_LAST = `  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
`;
