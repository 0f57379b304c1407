import assert from 'node:assert/strict';
import {
  AtParseError, parseActiveContexts, parseAddresses, parseCereg, parseCgev, parseCops, parseCiregRegistered, parseContextDynamic, parseQosDynamic,
  parseSecondaryDynamic, parseTftDynamic, splitParams,
} from '../../../../modem-drivers/at/responses.js';

describe('modem-drivers/at 27.007 response parsers', () => {
  it('splits parameters at commas outside quotes, keeping empty ones', () => {
    assert.deepEqual(splitParams('+CGCONTRDP: 1,5,"ims,x",,"a"', '+CGCONTRDP'), ['1', '5', 'ims,x', '', 'a']);
    assert.throws(() => splitParams('+CGCONTRDP: 1,"ims', '+CGCONTRDP'), AtParseError);
    assert.throws(() => splitParams('+CGACT: 1,1', '+CGCONTRDP'), AtParseError);
  });

  it('reads the address forms of 27.007 (dotted bytes with or without mask, +CGPIAF colon forms, dual stack)', () => {
    assert.deepEqual(parseAddresses('10.45.0.2'), ['10.45.0.2']);
    assert.deepEqual(parseAddresses('10.45.0.2.255.255.255.0'), ['10.45.0.2']);
    assert.deepEqual(parseAddresses('32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1'), ['2001:db8::1']);
    assert.deepEqual(parseAddresses('32.1.13.184.0.100.0.0.0.0.0.0.0.0.0.1.255.255.255.255.255.255.255.255.0.0.0.0.0.0.0.0'), ['2001:db8:64::1']);
    assert.deepEqual(parseAddresses('2001:DB8::1/64'), ['2001:db8::1']);
    assert.deepEqual(parseAddresses('2001:db8::1 ffff:ffff:ffff:ffff::'), ['2001:db8::1']);
    assert.deepEqual(parseAddresses('10.45.0.2.255.255.255.0 253.0.0.69.0.0.0.0.0.0.0.0.0.0.0.2'), ['10.45.0.2', 'fd00:45::2']);
    assert.deepEqual(parseAddresses('0.0.0.0'), []);
    assert.deepEqual(parseAddresses(''), []);
    assert.throws(() => parseAddresses('10.45.0'), /3 numbers/);
    assert.throws(() => parseAddresses('10.45.0.300'), AtParseError);
  });

  it('merges the IPv4 and IPv6 +CGCONTRDP lines of one context and ignores others', () => {
    const d = parseContextDynamic([
      '+CGCONTRDP: 2,6,"internet","10.1.1.1"',
      '+CGCONTRDP: 1,5,"ims","10.45.0.2.255.255.255.0","10.45.0.1","10.45.0.1","0.0.0.0","10.45.0.1","10.45.0.9",1,0,1400',
      '+CGCONTRDP: 1,5,"ims","fd00:45::2/64","","","","fd00:45::1"',
    ], 1);
    assert.deepEqual(d, { cid: 1, bearerId: 5, apn: 'ims', addresses: ['10.45.0.2', 'fd00:45::2'], gateways: ['10.45.0.1'], dns: ['10.45.0.1'], pcscf: ['10.45.0.1', '10.45.0.9', 'fd00:45::1'], imCnSignalling: true, mtu: 1400 });
    assert.equal(parseContextDynamic(['+CGCONTRDP: 2,6,"internet","10.1.1.1"'], 1), undefined);
  });

  it('reads bearer identity, QoS and packet filters', () => {
    assert.deepEqual(parseSecondaryDynamic(['+CGSCONTRDP: 2,1,6'], 2), { pcid: 1, bearerId: 6 });
    assert.deepEqual(parseQosDynamic(['+CGEQOSRDP: 2,1,128,64,256,128'], 2), { qci: 1, gbrDownlink: 128, gbrUplink: 64, mbrDownlink: 256, mbrUplink: 128 });
    assert.deepEqual(parseQosDynamic(['+CGEQOSRDP: 1,5,,,,,0,0'], 1), { qci: 5 });
    assert.deepEqual(parseTftDynamic(['+CGTFTRDP: 2,1,0,"10.45.0.77.255.255.255.255",17,"50000.50001","40000.40001","",,"",1,1'], 2), [
      { direction: 'uplink', remoteAddress: '10.45.0.77', protocol: 17, localPorts: [50000, 50001], remotePorts: [40000, 40001] },
    ]);
    assert.throws(() => parseTftDynamic(['+CGTFTRDP: 2,1,0,"",17,"50000-50001"'], 2), /port range/);
    assert.deepEqual(parseActiveContexts(['+CGACT: 1,1', '+CGACT: 2,0', '+CGACT: 3,1']), [1, 3]);
  });

  it('reads the +CGEV events of 27.007 10.1.19', () => {
    assert.deepEqual(parseCgev('+CGEV: ME PDN ACT 1'), { kind: 'pdn-act', by: 'ME', cid: 1 });
    assert.deepEqual(parseCgev('+CGEV: ME PDN ACT 1,0'), { kind: 'pdn-act', by: 'ME', cid: 1 });
    assert.deepEqual(parseCgev('+CGEV: NW PDN DEACT 1'), { kind: 'pdn-deact', by: 'NW', cid: 1 });
    assert.deepEqual(parseCgev('+CGEV: NW ACT 1,2,1'), { kind: 'bearer-act', by: 'NW', pcid: 1, cid: 2, ackRequired: true });
    assert.deepEqual(parseCgev('+CGEV: NW DEACT 1,2,0'), { kind: 'bearer-deact', by: 'NW', pcid: 1, cid: 2, ackRequired: false });
    assert.deepEqual(parseCgev('+CGEV: NW MODIFY 2,2,0'), { kind: 'modify', by: 'NW', cid: 2, changeReason: 2, ackRequired: false });
    assert.deepEqual(parseCgev('+CGEV: NW DETACH'), { kind: 'detach', by: 'NW' });
    assert.deepEqual(parseCgev('+CGEV: NW DEACT "IP","10.0.0.1",1'), { kind: 'context-deact', by: 'NW', cid: 1 });
    assert.deepEqual(parseCgev('+CGEV: ME CLASS B'), { kind: 'other', text: 'ME CLASS B' });
    assert.throws(() => parseCgev('+CGEV: NW PDN DEACT x'), AtParseError);
  });

  it('reads the MT\'s own IMS registration from +CIREGU and +CIREG?', () => {
    assert.equal(parseCiregRegistered('+CIREGU: 1,3'), true);
    assert.equal(parseCiregRegistered('+CIREG: 2,0'), false);
    assert.equal(parseCiregRegistered('+CGEV: NW DETACH'), undefined);
  });

  it('reads the operator of +COPS? (27.007 7.3)', () => {
    assert.deepEqual(parseCops('+COPS: 0,2,"00101",7'), { mode: 0, format: 2, oper: '00101', act: 7 });
    assert.deepEqual(parseCops('+COPS: 1,2,"310410"'), { mode: 1, format: 2, oper: '310410' });
    assert.deepEqual(parseCops('+COPS: 0,0,"Test Net",7'), { mode: 0, format: 0, oper: 'Test Net', act: 7 });
    assert.deepEqual(parseCops('+COPS: 0'), { mode: 0 });
    assert.throws(() => parseCops('+COPS: 0,2'), AtParseError);
    assert.throws(() => parseCops('+COPS: x,2,"00101"'), AtParseError);
  });

  it('reads +CEREG in its read form (with <n>) and as a URC (without), quoted or not (27.007 10.1.22)', () => {
    const cell = { stat: 1, tac: 0x0001, ci: 0x19b01, act: 7 };
    assert.deepEqual(parseCereg('+CEREG: 2,1,"0001","00019B01",7'), cell);
    assert.deepEqual(parseCereg('+CEREG: 1,"0001","00019B01",7'), cell);
    assert.deepEqual(parseCereg('+CEREG: 2,1,0001,00019B01,7'), cell);
    assert.deepEqual(parseCereg('+CEREG: 1,0001,00019B01,7'), cell);
    // <AcT> left out: read form with 4 parameters, URC with 3
    assert.deepEqual(parseCereg('+CEREG: 2,5,"00A2","0ABCDEF1"'), { stat: 5, tac: 0xa2, ci: 0xabcdef1 });
    assert.deepEqual(parseCereg('+CEREG: 5,"00a2","0abcdef1"'), { stat: 5, tac: 0xa2, ci: 0xabcdef1 });
    // <n> 3 adds <cause_type>,<reject_cause>
    assert.deepEqual(parseCereg('+CEREG: 3,1,"0001","00019B01",7,0,0'), cell);
    assert.deepEqual(parseCereg('+CEREG: 1,"0001","00019B01",7,0,0'), cell);
    // no cell: <n> 0/1 read form, bare URC, empty location
    assert.deepEqual(parseCereg('+CEREG: 0,1'), { stat: 1 });
    assert.deepEqual(parseCereg('+CEREG: 2'), { stat: 2 });
    assert.deepEqual(parseCereg('+CEREG: 2,4,"",""'), { stat: 4 });
    assert.throws(() => parseCereg('+CEREG: 1,"zz"'), /<tac> "zz"/);
    assert.throws(() => parseCereg('+CEREG: 1,"0001"'), /<ci> missing/);
    assert.throws(() => parseCereg('+CEREG: 2,1,"0001","12345678Z",7'), /<ci> "12345678Z"/);
    assert.throws(() => parseCereg('+CEREG: 1,"0001","00019B01",E'), /<AcT> is not a number/);
    assert.throws(() => parseCereg('+CEREG: x'), AtParseError);
    assert.throws(() => parseCereg('+CEREG: 1,"0001'), AtParseError);
  });
});
