// Messages in the spirit of RFC 4475 (torture tests), one per case the RFC names, written for
// this suite. The byte-exact RFC corpus runs in rfc4475-corpus.test.ts.
import assert from 'node:assert/strict';
import { buildErrorResponse } from '../../../../daemon/sip/bad-request.js';
import { SipRequest, SipResponse } from '../../../../daemon/sip/message.js';
import { parseMessage, SipParseError } from '../../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../../daemon/sip/serializer.js';
import type { SipUri } from '../../../../daemon/sip/uri.js';

const crlf = (lines: string[]): string => lines.join('\r\n');

const SDP = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', '']);

function base(over: Partial<Record<'start' | 'via' | 'to' | 'from' | 'cseq' | 'callid' | 'mf' | 'cl' | 'extra', string>> = {}): string {
  const body = over.cl === undefined ? '' : SDP;
  return crlf([
    over.start ?? 'OPTIONS sip:bob@example.com SIP/2.0',
    `Via: ${over.via ?? 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-t1'}`,
    `To: ${over.to ?? '<sip:bob@example.com>'}`,
    `From: ${over.from ?? '<sip:alice@example.net>;tag=a1'}`,
    `Call-ID: ${over.callid ?? 'torture-1@192.0.2.1'}`,
    `CSeq: ${over.cseq ?? '1 OPTIONS'}`,
    `Max-Forwards: ${over.mf ?? '70'}`,
    ...(over.extra ? [over.extra] : []),
    `Content-Length: ${over.cl ?? '0'}`,
    '',
    body,
  ]);
}

describe('sip parser torture cases (RFC 4475 categories)', () => {
  describe('valid messages parse (3.1.1)', () => {
    it('folding, LWS around separators, compact forms, mixed case and unknown headers', () => {
      const msg = crlf([
        'INVITE sip:bob@biloxi.example.com;unknownparam SIP/2.0',
        'TO :',
        ' sip:bob@biloxi.example.com ;   tag    = 1918181833n',
        'from   : "Alice \\\\\\"the\\" Quoted"       <sip:alice@atlanta.example.com>',
        '  ;',
        '  tag = 98asjd8',
        'MaX-fOrWaRdS: 0068',
        'i: torture-wsinv@192.0.2.1',
        'Content-Length   : 0',
        'cseq: 0009',
        '  INVITE',
        'Via  : SIP  /   2.0',
        ' /UDP',
        '    192.0.2.2;rport;branch=390skdjuw',
        's :',
        'NewFangledHeader:   newfangled value',
        ' continued newfangled value',
        'UnknownHeaderWithUnusualValue: ;;,,;;,;',
        'v:  SIP/2.0/TCP spindle.example.com   ;',
        '  branch  =   z9hG4bK9ikj8  ,',
        ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
        ' z9hG4bK30239',
        'm:"Quoted string\\"\\"" <sip:alice@atlanta.example.com> ; newparam =',
        '      newvalue ;',
        '  secondparam ; q = 0.33',
        '',
        '',
      ]);
      const m = parseMessage(msg);
      assert.ok(m instanceof SipRequest);
      assert.equal(m.toTag, '1918181833n');
      assert.equal(m.from.displayName, 'Alice \\"the" Quoted');
      assert.equal(m.fromTag, '98asjd8');
      assert.equal(m.maxForwards, 68);
      assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
      const vias = m.vias;
      assert.equal(vias.length, 3);
      assert.equal(vias[0].host, '192.0.2.2');
      assert.equal(vias[1].params.get('branch'), 'z9hG4bK9ikj8');
      assert.equal(vias[2].params.get('branch'), 'z9hG4bK30239');
      assert.equal(m.headers.get('Subject'), '');
      assert.equal(m.headers.get('newfangledheader'), 'newfangled value continued newfangled value');
      const c = m.contacts[0];
      assert.ok(c !== '*');
      assert.equal(c.displayName, 'Quoted string""');
      assert.equal(c.params.get('q'), '0.33');
      assert.equal(c.params.get('newparam'), 'newvalue');
      assert.equal(c.params.get('secondparam'), null);
    });

    it('wide range of valid characters in method, URI user part, tokens and Call-ID', () => {
      const m = parseMessage(
        base({
          start: "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
          cseq: "139122385 !interesting-Method0123456789_*+`.%indeed'~",
          callid: "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
          to: '"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
          from: "token1~` token2'+_ token3*%!.- <sip:mundane@example.com> ;fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\";tag=_token~1'+`*%!-.",
          via: "SIP/2.0/UDP host1.example.com;rport;branch=z9hG4bK-.!%66*_+`'~",
          mf: '255',
        }),
      ) as SipRequest;
      assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
      assert.equal((m.uri as SipUri).host, 'example.com');
      assert.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7F');
      assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
      assert.equal(m.fromTag, "_token~1'+`*%!-.");
      assert.equal(m.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    });

    it('escapes, %00 and unescaped % in display names and URI parameter names', () => {
      const m = parseMessage(
        base({
          start: 'RE%47IST%45R sip:registrar.example.com SIP/2.0',
          cseq: '1 RE%47IST%45R',
          to: '"%Z%45" <sip:resource@example.com>',
          from: '<sip:null-%00-null@example.com>;tag=x',
          extra: 'Contact: <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>',
        }),
      );
      assert.equal((m as SipRequest).method, 'RE%47IST%45R');
      assert.equal(m.to.displayName, '%Z%45');
      const c = m.contacts[0];
      assert.ok(c !== '*');
      assert.equal((c.uri as SipUri).params.get('n%61me'), 'v%61lue%25%34%31');
    });

    it('no LWS between display name and <, semicolons in the user part, unknown transports', () => {
      const m = parseMessage(
        base({
          start: 'OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0',
          from: 'caller<sip:caller@example.com>;tag=323',
          extra: 'Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKkdjuw, SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3',
        }),
      );
      assert.equal(m.from.displayName, 'caller');
      assert.equal(((m as SipRequest).uri as SipUri).user, 'user;par=u%40example.net');
      assert.deepEqual(m.vias.map((v) => v.transport), ['UDP', 'SCTP', 'UNKNOWN']);
    });

    it('ignores octets after Content-Length in a datagram (a second request)', () => {
      const first = base();
      const m = parseMessage(first + base({ callid: 'second@x' }));
      assert.equal(m.callId, 'torture-1@192.0.2.1');
      assert.equal(m.body.length, 0);
    });

    it('binary body, UTF-8 reason phrase, empty reason phrase', () => {
      const bin = Buffer.from([0x30, 0x82, 0x0a, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x7f]);
      const head = Buffer.from(base({ cl: String(bin.length) }).replace(SDP, ''));
      const m = parseMessage(Buffer.concat([head, bin]));
      assert.deepEqual(m.body, bin);
      assert.ok(serializeMessage(m).subarray(-bin.length).equals(bin));
      const r = parseMessage(
        crlf(['SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e', 'Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923', 'Call-ID: unreason.1234ksdfak3j2erwedfsASdf', 'CSeq: 35 INVITE', 'From: sip:user@example.com;tag=11141343', 'To: sip:user@example.edu;tag=2229', 'Content-Length: 0', '', '']),
      ) as SipResponse;
      assert.equal(r.reason, '= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e');
      const e = parseMessage(crlf(['SIP/2.0 100 ', 'Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe', 'Call-ID: noreason.asndj203insdf99223ndf', 'CSeq: 35 INVITE', 'From: <sip:user@example.com>;tag=39ansfi3', 'To: <sip:user@example.edu>;tag=902jndnke3', 'Content-Length: 0', '', ''])) as SipResponse;
      assert.equal(e.status, 100);
      assert.equal(e.reason, '');
    });
  });

  describe('invalid messages are rejected with SipParseError (3.1.2)', () => {
    const cases: Array<[string, string, 400 | 505]> = [
      ['extraneous separators in Via and Contact', base({ via: 'SIP/2.0/UDP 192.0.2.15;;,;,,', extra: 'Contact: "Joe" <sip:joe@example.org>;;;;' }), 400],
      ['Content-Length larger than the message', base({ cl: '9999' }), 400],
      ['negative Content-Length', base({ cl: '-999' }), 400],
      ['overlarge CSeq', base({ cseq: '36893488147419103232 OPTIONS' }), 400],
      ['overlarge Max-Forwards', base({ mf: '300' }), 400],
      ['overlarge Via port', base({ via: 'SIP/2.0/TCP host129.example.com:80000;branch=z9hG4bK342sdfoi3' }), 400],
      ['unterminated quoted display name', base({ to: '"Mr. J. User <sip:j.user@example.com>' }), 400],
      ['<> around the Request-URI', base({ start: 'OPTIONS <sip:bob@example.com> SIP/2.0' }), 400],
      ['LWS inside the Request-URI', base({ start: 'OPTIONS sip:bob@example.com; lr SIP/2.0' }), 400],
      ['several SP between Request-Line elements', base({ start: 'OPTIONS  sip:bob@example.com  SIP/2.0' }), 400],
      ['SP after the SIP version', base({ start: 'OPTIONS sip:bob@example.com SIP/2.0  ' }), 400],
      ['escaped headers in the Request-URI', base({ start: 'OPTIONS sip:bob@example.com?Route=%3Csip:example.com%3E SIP/2.0' }), 400],
      ['non-GMT Date', base({ extra: 'Date: Fri, 01 Jan 2010 16:00:00 EST' }), 400],
      ['addr-spec with ? not in <>', base({ extra: 'Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E' }), 400],
      ['spaces inside <>', base({ to: '"Watson, Thomas" < sip:t.watson@example.org >' }), 400],
      ['non-token characters in an unquoted display name', base({ from: 'Bell, Alexander <sip:a.g.bell@example.com>;tag=43' }), 400],
      ['unknown SIP version', base({ start: 'OPTIONS sip:bob@example.com SIP/7.0' }), 505],
      ['CSeq method differs from the request method', base({ cseq: '1 INVITE' }), 400],
      ['unknown method with CSeq mismatch', base({ start: 'NEWMETHOD sip:bob@example.com SIP/2.0', cseq: '1 INVITE' }), 400],
      ['overlarge status code', crlf(['SIP/2.0 4294967301 better not break the receiver', 'Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe', 'Content-Length: 0', '', '']), 400],
      ['header line without colon', base({ extra: 'Foobar roobar' }), 400],
    ];
    for (const [title, text, status] of cases) {
      it(title, () => {
        assert.throws(() => parseMessage(text), (e: unknown) => e instanceof SipParseError && e.status === status);
      });
    }

    it('answers a malformed request with a 400 built from the salvaged headers', () => {
      const text = base({ start: 'OPTIONS sip:bob@example.com SIP/2.0', cseq: '1 INVITE' });
      let err: SipParseError | undefined;
      try {
        parseMessage(text);
      } catch (e) {
        err = e as SipParseError;
      }
      assert.ok(err);
      const res = buildErrorResponse(text, err, { toTag: 'srv1' });
      assert.ok(res);
      assert.equal(res.status, 400);
      const back = parseMessage(serializeMessage(res)) as SipResponse;
      assert.equal(back.callId, 'torture-1@192.0.2.1');
      assert.equal(back.topVia.params.get('branch'), 'z9hG4bK-t1');
      assert.equal(back.headers.get('CSeq'), '1 INVITE');
      assert.equal(back.toTag, 'srv1');
      assert.match(back.headers.get('Warning') ?? '', /^399 - "CSeq: /);
    });

    it('answers an unknown version with 505, and never answers responses or headerless junk', () => {
      const text = base({ start: 'OPTIONS sip:bob@example.com SIP/7.0' });
      const res = buildErrorResponse(text, new SipParseError('unsupported version', 'start-line', 505));
      assert.equal(res?.status, 505);
      assert.equal(buildErrorResponse('SIP/2.0 99999 x\r\nVia: SIP/2.0/UDP h\r\n\r\n', new SipParseError('x', 'y')), undefined);
      assert.equal(buildErrorResponse('\x00\x01garbage', new SipParseError('x', 'y')), undefined);
    });
  });

  describe('semantic oddities parse and are left to the application (3.2-3.4)', () => {
    it('missing required headers, unknown schemes, broadcast Via, Max-Forwards 0, RFC 2543 syntax', () => {
      const insuf = parseMessage(crlf(['INVITE sip:user@example.com SIP/2.0', 'CSeq: 193942 INVITE', 'Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf', 'Content-Length: 0', '', '']));
      assert.throws(() => insuf.callId, SipParseError);
      const unk = parseMessage(base({ start: 'OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0', to: 'isbn:2983792873', from: '<http://www.example.com>;tag=3234233' })) as SipRequest;
      assert.equal(unk.uri.scheme, 'nobodyknowsthisscheme');
      assert.equal(unk.to.uri.scheme, 'isbn');
      assert.equal(parseMessage(base({ mf: '0' })).maxForwards, 0);
      const old = parseMessage(crlf(['INVITE sip:UserB@example.com SIP/2.0', 'Via: SIP/2.0/UDP iftgw.example.com', 'From: <sip:+13035551111@ift.client.example.net;user=phone>', 'To: sip:+16505552222@ss1.example.net;user=phone', 'Call-ID: inv2543.1717@ift.client.example.com', 'CSeq: 56 INVITE', '', '']));
      assert.equal(old.fromTag, undefined);
      assert.equal(old.topVia.params.get('branch'), undefined);
      assert.equal(old.to.params.get('user'), 'phone');
    });

    it('multiple differing Content-Length values: the body is what was received', () => {
      const text = crlf(['OPTIONS sip:user@example.com SIP/2.0', 'Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423', 'To: sip:user@example.com', 'From: sip:other@example.net;tag=3923942', 'Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf', 'CSeq: 15932 OPTIONS', 'Content-Length: 13', 'Max-Forwards: 60', 'Content-Length: 5', 'Content-Type: text/plain', '', 'There is no way to know how many octets are supposed to be here.', '']);
      const m = parseMessage(text);
      assert.deepEqual(m.headers.getFields('Content-Length'), ['13', '5']);
      assert.equal(m.body.toString(), 'There is no way to know how many octets are supposed to be here.\r\n');
    });
  });
});
