import assert from 'node:assert/strict';
import { ModemDriverError, type BearerInfo, type PdnInfo } from '../../../../modem-drivers/driver.js';
import { SimulatedDriver } from '../../../../modem-drivers/simulated/simulated-driver.js';
import { createSocket } from 'node:dgram';
import { assignPayloadTypes } from '../../../../daemon/ims/call/sdp/offer.js';

const voice: BearerInfo = { id: 6, qci: 1, gbrUplink: 40, gbrDownlink: 40, mbrUplink: 40, mbrDownlink: 40, filters: [{ direction: 'bidirectional', remoteAddress: '10.0.0.7', protocol: 17, localPorts: [50000, 50001] }] };

function record(d: SimulatedDriver): string[] {
  const log: string[] = [];
  d.on('pdn-up', (p) => log.push(`up ${p.addresses.join(',')} ${p.pcscf.join(',')}`));
  d.on('pdn-changed', (p) => log.push(`changed ${p.addresses.join(',')} ${p.pcscf.join(',')} ${p.mtu}`));
  d.on('pdn-down', (r) => log.push(`down ${r}`));
  d.on('bearer-up', (b) => log.push(`bearer-up ${b.id} qci=${b.qci}`));
  d.on('bearer-modified', (b) => log.push(`bearer-modified ${b.id} gbr=${b.gbrUplink}`));
  d.on('bearer-down', (id) => log.push(`bearer-down ${id}`));
  d.on('modem-reset', () => log.push('reset'));
  return log;
}

describe('modem-drivers/simulated SimulatedDriver', () => {
  it('reports the configured PDN on activation, once', async () => {
    const d = new SimulatedDriver({ interface: 'veth0', addresses: ['10.45.0.2', 'fd00:45::2'], pcscf: ['10.45.0.1'], accessNetworkInfo: '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001' });
    const log = record(d);
    assert.equal(d.pdn, undefined);
    const p: PdnInfo = await d.activateImsPdn();
    await d.activateImsPdn();
    assert.deepEqual(p, { interface: 'veth0', addresses: ['10.45.0.2', 'fd00:45::2'], pcscf: ['10.45.0.1'], mtu: 1500, accessNetworkInfo: '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001' });
    assert.deepEqual(log, ['up 10.45.0.2,fd00:45::2 10.45.0.1']);
    assert.deepEqual(d.capabilities, { modemRtp: false, bearerEvents: true });
    p.addresses.push('mutated');
    assert.deepEqual(d.pdn!.addresses, ['10.45.0.2', 'fd00:45::2'], 'callers get copies');
  });

  it('scripts a new address, bearers, PDN loss and a reset', async () => {
    const d = new SimulatedDriver({ interface: 'veth0', addresses: ['10.45.0.2'], pcscf: ['10.45.0.1'] });
    const log = record(d);
    await d.activateImsPdn();
    d.changePdn({ addresses: ['10.45.0.3'], mtu: 1400 });
    d.addBearer(voice);
    d.addBearer({ ...voice, gbrUplink: 24 });
    d.losePdn('network detach');
    d.losePdn('again');
    await d.activateImsPdn();
    d.reset();
    assert.deepEqual(log, [
      'up 10.45.0.2 10.45.0.1',
      'changed 10.45.0.3 10.45.0.1 1400',
      'bearer-up 6 qci=1',
      'bearer-modified 6 gbr=24',
      'bearer-down 6',
      'down network detach',
      'up 10.45.0.3 10.45.0.1',
      'reset',
    ]);
    assert.equal(d.pdn, undefined);
  });

  it('refuses bearers without a PDN and calls after close', async () => {
    const d = new SimulatedDriver({ interface: 'veth0', addresses: ['10.45.0.2'], pcscf: [] });
    assert.throws(() => d.addBearer(voice), ModemDriverError);
    await d.close();
    await assert.rejects(d.activateImsPdn(), /activateImsPdn: driver is closed/);
    assert.throws(() => new SimulatedDriver({ interface: 'x', addresses: [], pcscf: [] }), ModemDriverError);
  });

  it('with rtp, each call\'s media is a real RTP stream on its local port: started, updated, tones, stopped (port free again), all closed with the driver', async () => {
    const port = 43000 + (process.pid % 500) * 2;
    const d = new SimulatedDriver({ interface: 'lo', addresses: ['127.0.0.1'], pcscf: ['127.0.0.1'], rtp: { toneHz: 0 } });
    const sink = createSocket('udp4');
    let got = 0;
    sink.on('message', () => void got++);
    await new Promise<void>((r) => sink.bind(port + 100, '127.0.0.1', () => r()));
    const session = { callId: 'c1', localAddress: '127.0.0.1', localPort: port, remoteAddress: '127.0.0.1', remotePort: port + 100, codec: { name: 'PCMA', clockRate: 8000, payloadType: 8 }, telephoneEvent: { payloadType: 101, clockRate: 8000 }, ptime: 20, direction: 'sendrecv' as const };
    try {
      await d.startMedia(session);
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(got >= 3, `frames at the far end: ${got}`);
      await d.sendTones('c1', '7');
      assert.equal(d.rtpStats('c1')?.digitsSent, '7');
      await d.updateMedia({ ...session, direction: 'inactive' });
      const sent = d.rtpStats('c1')!.sent;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(d.rtpStats('c1')!.sent, sent, 'inactive: nothing sent');
      await d.stopMedia('c1');
      assert.equal(d.rtpStats('c1'), undefined);
      const again = createSocket('udp4');
      await new Promise<void>((r, j) => again.once('error', j).bind(port, '127.0.0.1', () => r()));
      again.close();
      await d.startMedia({ ...session, callId: 'c2' });
      await d.close();
      const third = createSocket('udp4');
      await new Promise<void>((r, j) => third.once('error', j).bind(port, '127.0.0.1', () => r()));
      third.close();
    } finally {
      sink.close();
      await d.close();
    }
  });

  it('with rtp and no media given, it declares what the AP can send: PCMU and PCMA (static types 0 and 8) and telephone-event at 8 kHz; without rtp IR.92\'s set', async () => {
    const ap = new SimulatedDriver({ interface: 'lo', addresses: ['127.0.0.1'], pcscf: ['127.0.0.1'], rtp: true });
    const offer = assignPayloadTypes(ap.media);
    assert.deepEqual(offer.formats.map((f) => `${f.payloadType} ${f.codec.name}/${f.codec.clockRate}`), ['0 PCMU/8000', '8 PCMA/8000']);
    assert.deepEqual(offer.telephoneEvents.map((t) => t.clockRate), [8000]);
    const plain = new SimulatedDriver({ interface: 'lo', addresses: ['127.0.0.1'], pcscf: ['127.0.0.1'] });
    assert.deepEqual(plain.media.codecs.map((c) => c.name), ['AMR-WB', 'AMR-WB', 'AMR', 'AMR']);
    await ap.close();
    await plain.close();
  });
});
