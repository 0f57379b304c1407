// The line parsers against lines as MediaTek's own RIL tests spell them (COMMANDS.md [RTST], [FURI]).
import assert from 'node:assert/strict';
import { MediatekParseError, splitFields } from '../../../../modem-drivers/mediatek/fields.js';
import { ECPI, parseCiregu, parseEaic, parseEcpi, parseImsSwitch } from '../../../../modem-drivers/mediatek/ims-lines.js';
import { parseEimspdn, parseEpdn, parseNwReact } from '../../../../modem-drivers/mediatek/pdn-lines.js';

describe('modem-drivers/mediatek line parsers', () => {
  it('splits quoted and bare fields with or without spaces', () => {
    assert.deepEqual(splitFields('x', '1, "new", 1, 0,2454,"a,b",'), ['1', 'new', '1', '0', '2454', 'a,b', '']);
    assert.deepEqual(splitFields('x', ' '), []);
    assert.throws(() => splitFields('x', '1,"new'), /unterminated string/);
  });

  it('reads the +CGEV: NW REACT form', () => {
    assert.deepEqual(parseNwReact('+CGEV: NW REACT "IPV4V6", "10.0.0.1", 5'), { aid: 5 });
    assert.deepEqual(parseNwReact('+CGEV: NW REACT "IP","10.0.0.1"'), {});
    assert.equal(parseNwReact('+CGEV: NW PDN DEACT 1'), undefined);
  });

  it('reads +EPDN "new", "update", "err" and "dcchg" and maps the interface id to ccmni<N>', () => {
    assert.deepEqual(parseEpdn('+EPDN:1, "new", 1, 0, 2454, 1, "172.22.1.100"'), { aid: 1, kind: 'new', rat: 1, interfaceId: 0, mtu: 2454, addresses: ['172.22.1.100'] });
    assert.deepEqual(parseEpdn('+EPDN:1, "new", 1, 102, 1500, 3, "172.22.1.100", "38.7.251.144.32.14.171.78.0.0.0.81.202.39.147.1/64"'), {
      aid: 1, kind: 'new', rat: 1, interfaceId: 2, mtu: 1500, addresses: ['172.22.1.100', '2607:fb90:200e:ab4e:0:51:ca27:9301'],
    });
    assert.deepEqual(parseEpdn('+EPDN:2, "new", 1, 1, 2654, 2, "32.1.13.184.0.0.0.3.61.48.97.182.50.254.113.251"'), { aid: 2, kind: 'new', rat: 1, interfaceId: 1, mtu: 2654, addresses: ['2001:db8:0:3:3d30:61b6:32fe:71fb'] });
    assert.deepEqual(parseEpdn('+EPDN: 1, "update", 0, 1, "172.22.1.50"'), { aid: 1, kind: 'update', interfaceId: 0, addresses: ['172.22.1.50'] });
    assert.deepEqual(parseEpdn('+EPDN: 1,"err",257'), { aid: 1, kind: 'err', error: 257 });
    assert.deepEqual(parseEpdn('+EPDN: 3,"dcchg",256'), { aid: 3, kind: 'dcchg', event: 256 });
    assert.deepEqual(parseEpdn('+EPDN:,"dcchg",129'), { aid: undefined, kind: 'dcchg', event: 129 });
    assert.throws(() => parseEpdn('+EPDN:1, "new", 1, 0, 2454, 9, "1.2.3.4"'), /unknown <address type> 9/);
    assert.throws(() => parseEpdn('+EPDN:1, "new", 1, 0'), /<mtu>|<address type>/);
    assert.throws(() => parseEpdn('+EPDN:1, "new", 1, 0, 2454, 1, "172.22.1.'), /unterminated string/);
    assert.throws(() => parseEpdn('+EPDN:1, "new", 1, 0, 2454, 1, "300.1.2.3"'), MediatekParseError);
  });

  it('reads +EIMSPDN notify and init', () => {
    assert.deepEqual(parseEimspdn('+EIMSPDN: "notify",5,1,"ims"'), { kind: 'notify', aid: 5, activate: true, type: 'ims' });
    assert.deepEqual(parseEimspdn('+EIMSPDN: "notify", 5, 0, "ims"'), { kind: 'notify', aid: 5, activate: false, type: 'ims' });
    assert.deepEqual(parseEimspdn('+EIMSPDN: "init"'), { kind: 'init' });
    assert.throws(() => parseEimspdn('+EIMSPDN: "notify",5,7,"ims"'), /<action> must be 0 or 1/);
    assert.throws(() => parseEimspdn('+EIMSPDN: "bogus"'), /unknown \+EIMSPDN command/);
  });

  it('reads +CIREGU with and without <ext_info>, and the IMS switch URCs', () => {
    assert.deepEqual(parseCiregu('+CIREGU: 1,5'), { registered: true, extInfo: 5 });
    assert.deepEqual(parseCiregu('+CIREGU: 0'), { registered: false });
    assert.deepEqual(parseCiregu('+CIREGU: 1,1F'), { registered: true, extInfo: 31 });
    assert.throws(() => parseCiregu('+CIREGU: 2'), /<reg_info> must be 0 or 1/);
    assert.deepEqual(parseImsSwitch('+EIMS: 0'), { phase: 'starting', enabled: false });
    assert.deepEqual(parseImsSwitch('+EIMCFLAG: 1'), { phase: 'done', enabled: true });
    assert.equal(parseImsSwitch('+EIMSPDN: "init"'), undefined);
  });

  it('reads +ECPI in both spellings, with a cause on 133', () => {
    assert.deepEqual(parseEcpi('+ECPI: 1, 130, 0, 0, 0, 0, +4915550084930, 145, ""'), { callId: 1, msgType: ECPI.MO_CALL_ID_ASSIGN, inbandTones: false, direction: 'outgoing', callMode: 0, number: '+4915550084930' });
    assert.deepEqual(parseEcpi('+ECPI: 1,133,0,0,0,20,"+4915550084930",145,"",63'), { callId: 1, msgType: ECPI.DISCONNECTED, inbandTones: false, direction: 'outgoing', callMode: 20, number: '+4915550084930', cause: 63 });
    assert.deepEqual(parseEcpi('+ECPI: 2,133,0,0,,,"",,"",16'), { callId: 2, msgType: 133, inbandTones: false, cause: 16 });
    assert.deepEqual(parseEcpi('+ECPI: 1,2,1,1,0,20,"+15550001",145,""'), { callId: 1, msgType: ECPI.ALERT, inbandTones: true, direction: 'outgoing', callMode: 20, number: '+15550001' });
    assert.throws(() => parseEcpi('+ECPI: 1,2'), /only 2 fields/);
  });

  it('reads +EAIC', () => {
    assert.deepEqual(parseEaic('+EAIC: 1,"+15559999",145,20,3'), { callId: 1, number: '+15559999', toa: 145, callMode: 20, seqNo: 3 });
    assert.deepEqual(parseEaic('+EAIC: 2,"0301234",129,20,4,"+15550000"'), { callId: 2, number: '0301234', toa: 129, callMode: 20, seqNo: 4, redirectNumber: '+15550000' });
    assert.throws(() => parseEaic('+EAIC: 1,"+15559999"'), /only 2 fields/);
  });
});
