// The mediatek driver on a real pseudo-terminal (opened as a modem device is) against scripted
// modems replaying tests/fixtures/modems/mediatek/*.at, whose lines follow MediaTek's own RIL and
// its test scripts (see each file's header and modem-drivers/mediatek/COMMANDS.md).
import assert from 'node:assert/strict';
import type { AtChannel } from '../../../../modem-drivers/at/types.js';
import type { ModemCall } from '../../../../modem-drivers/mediatek/calls.js';
import { MediatekDriver, type MediatekMode } from '../../../../modem-drivers/mediatek/driver.js';
import { openMediatekChannel } from '../../../../modem-drivers/mediatek/open.js';
import { ScriptedModem } from '../../../helpers/scripted-modem/scripted-modem.js';
import { useScriptedModems, type ModemRig } from '../../../helpers/scripted-modem/suite.js';

const rig: ModemRig<MediatekDriver> = { modems: [], driver: undefined };

/** the serving cell of the transcripts' +COPS?/+CEREG? answers: PLMN 00101, TAC 0x0001, E-UTRAN cell 0x0019B01 (TS 24.229 7.2A.4) */
const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01';

async function modem(file: string): Promise<ScriptedModem> {
  const m = await ScriptedModem.start(`mediatek/${file}`);
  rig.modems.push(m);
  return m;
}

/** a driver whose device is each of `devices` in turn (the next one after a reset) */
async function start(devices: ScriptedModem[], mode: MediatekMode = 'imsd'): Promise<{ d: MediatekDriver; log: string[] }> {
  const queue = [...devices];
  const open = async (): Promise<AtChannel> => {
    const m = queue.shift();
    if (!m) throw new Error('no more scripted modems');
    return openMediatekChannel({ device: m.device, timeoutMs: 500 });
  };
  const d = new MediatekDriver({ open, mode, pdnTimeoutMs: 2000, reopenDelayMs: 20 });
  rig.driver = d;
  const log: string[] = [];
  d.on('pdn-up', (p) => log.push(`pdn-up ${p.interface} ${p.addresses.join(',')} pcscf=${p.pcscf.join(',')} mtu=${p.mtu}`));
  d.on('pdn-changed', (p) => log.push(`pdn-changed ${p.interface} ${p.addresses.join(',')} pcscf=${p.pcscf.join(',')} mtu=${p.mtu} ani=${p.accessNetworkInfo ?? '-'}`));
  d.on('pdn-down', (r) => log.push(`pdn-down ${r}`));
  d.on('bearer-up', (b) => log.push(`bearer-up ${b.id} qci=${b.qci} gbr=${b.gbrUplink}/${b.gbrDownlink} filters=${b.filters.length}`));
  d.on('bearer-modified', (b) => log.push(`bearer-modified ${b.id} gbr=${b.gbrUplink}/${b.gbrDownlink}`));
  d.on('bearer-down', (id) => log.push(`bearer-down ${id}`));
  d.on('modem-reset', () => log.push('modem-reset'));
  d.on('ims-registration', (r) => log.push(`ims-registration ${r.registered ? 'registered' : 'unregistered'}${r.extInfo !== undefined ? ` ext=${r.extInfo}` : ''}`));
  d.on('call', (c: ModemCall) => log.push(`call ${c.id} ${c.direction} ${c.number} ${c.state}${c.cause !== undefined ? ` cause=${c.cause}` : ''}`));
  await d.start();
  return { d, log };
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function finish(...ms: ScriptedModem[]): Promise<void> {
  for (const m of ms) {
    await m.finished();
    assert.deepEqual(m.mismatches, [], 'the driver sent what the transcript expects');
  }
}

describe('modem-drivers/mediatek on a pty (scripted MediaTek modem)', function () {
  this.timeout(10000);
  useScriptedModems(rig);

  it('brings the IMS PDN up when the modem asks (+EIMSPDN), with the P-CSCF, and releases it', async () => {
    const m = await modem('pdn-eimspdn.at');
    const { d, log } = await start([m]);
    m.cue('notify');
    await until('pdn-up', () => log.length > 0);
    assert.deepEqual(await d.activateImsPdn(), { interface: 'ccmni0', addresses: ['10.45.0.2', 'fd00:45::2'], mtu: 2454, pcscf: ['10.45.0.1', 'fd00:45::1'], accessNetworkInfo: CELL });
    await until('the confirmation', () => m.commands.includes('AT+EIMSPDN="confirm",1,0'));
    m.cue('release');
    await d.deactivateImsPdn();
    await finish(m);
    assert.deepEqual(log, ['pdn-up ccmni0 10.45.0.2,fd00:45::2 pcscf=10.45.0.1,fd00:45::1 mtu=2454', 'pdn-down deactivated']);
  });

  it('reports the QCI 1 voice bearer up, modified and down around a call', async () => {
    const m = await modem('bearer-call.at');
    const { d, log } = await start([m]);
    const pdn = await d.activateImsPdn();
    assert.equal(pdn.interface, 'ccmni1', '<trans_intf_id> 101 is interface 1');
    assert.equal(pdn.accessNetworkInfo, CELL);
    m.cue('call');
    await until('bearer-up', () => log.some((l) => l.startsWith('bearer-up')));
    assert.deepEqual(d.bearers, [{ id: 2, qci: 1, gbrDownlink: 40, gbrUplink: 40, mbrDownlink: 40, mbrUplink: 40, filters: [{ direction: 'bidirectional', remoteAddress: '10.45.0.9', protocol: 17, localPorts: [50000, 50001], remotePorts: [40000, 40001] }] }]);
    m.cue('modify');
    await until('bearer-modified', () => log.some((l) => l.startsWith('bearer-modified')));
    m.cue('hangup');
    await until('bearer-down', () => log.some((l) => l.startsWith('bearer-down')));
    await finish(m);
    assert.deepEqual(log, [
      'pdn-up ccmni1 10.45.0.2 pcscf=10.45.0.1 mtu=1500',
      'bearer-up 2 qci=1 gbr=40/40 filters=1',
      'bearer-modified 2 gbr=24/24',
      'bearer-down 2',
    ]);
    assert.ok(d.pdn, 'the PDN stays up after the call');
  });

  it('loses the PDN mid-call (bearer and PDN down) and gets it back', async () => {
    const m = await modem('pdn-loss.at');
    const { d, log } = await start([m]);
    await d.activateImsPdn();
    m.cue('call');
    await until('bearer-up', () => log.some((l) => l.startsWith('bearer-up')));
    m.cue('loss');
    await until('pdn-down', () => log.some((l) => l.startsWith('pdn-down')));
    assert.equal(d.pdn, undefined);
    assert.deepEqual(d.bearers, []);
    const back = await d.activateImsPdn();
    assert.deepEqual(back, { interface: 'ccmni2', addresses: ['10.45.0.3'], mtu: 2454, pcscf: ['10.45.0.1'], accessNetworkInfo: CELL });
    await finish(m);
    assert.deepEqual(log, [
      'pdn-up ccmni0 10.45.0.2 pcscf=10.45.0.1 mtu=2454',
      'bearer-up 2 qci=1 gbr=40/40 filters=1',
      'bearer-down 2',
      'pdn-down the network deactivated the IMS PDN',
      'pdn-up ccmni2 10.45.0.3 pcscf=10.45.0.1 mtu=2454',
    ]);
  });

  it('rebuilds everything after a modem restart (+EIND: 128) and after the device goes away', async () => {
    const m = await modem('modem-reset.at');
    const after = await modem('modem-reset-after.at');
    const { d, log } = await start([m, after]);
    await d.activateImsPdn();
    m.cue('restart');
    await until('modem-reset', () => log.includes('modem-reset'));
    assert.equal(d.pdn, undefined, 'nothing of the old PDN is kept');
    await d.activateImsPdn();
    m.cue('gone');
    await until('the second modem-reset', () => log.filter((l) => l === 'modem-reset').length === 2);
    const again = await d.activateImsPdn();
    assert.deepEqual(again.addresses, ['10.45.0.4'], 'the PDN of the reopened device');
    await finish(m, after);
    assert.deepEqual(log, [
      'pdn-up ccmni0 10.45.0.2 pcscf=10.45.0.1 mtu=2454',
      'modem-reset',
      'pdn-up ccmni0 10.45.0.2 pcscf=10.45.0.1 mtu=2454',
      'modem-reset',
      'pdn-up ccmni0 10.45.0.4 pcscf=10.45.0.1 mtu=2454',
    ]);
  });

  it('survives noise, truncated lines, ERROR, +CME ERROR and a command that times out', async () => {
    const m = await modem('faults.at');
    const { d, log } = await start([m]);
    await assert.rejects(d.activateImsPdn(), /AT\+EAPNACT: \+CME ERROR: 3361/);
    await assert.rejects(d.activateImsPdn(), /does not accept AT\+EAPNACT \(ERROR\)/);
    await assert.rejects(d.activateImsPdn(), /unterminated string/);
    await assert.rejects(d.activateImsPdn(), /AT\+CGCONTRDP=1.*no final result code/);
    const pdn = await d.activateImsPdn();
    assert.deepEqual(pdn, { interface: 'ccmni0', addresses: ['10.45.0.2'], mtu: 2454, pcscf: ['10.45.0.1'] }, 'no P-Access-Network-Info: +CEREG=2 was refused');
    await finish(m);
    assert.deepEqual(log, ['pdn-up ccmni0 10.45.0.2 pcscf=10.45.0.1 mtu=2454']);
  });

  it('reports a new serving cell (+CEREG URC) during the PDN as pdn-changed, the same cell and a cell after the PDN not at all', async () => {
    const m = await modem('pdn-cell.at');
    const { d, log } = await start([m]);
    const up = await d.activateImsPdn();
    assert.deepEqual(up, { interface: 'ccmni0', addresses: ['10.45.0.2'], mtu: 2454, pcscf: ['10.45.0.1'], accessNetworkInfo: CELL });
    m.cue('handover');
    await until('pdn-changed', () => log.length === 2);
    const next = { ...up, accessNetworkInfo: '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019C01' };
    assert.deepEqual(d.pdn, next);
    m.cue('same');
    // URCs are handled in order: pdn-down comes after the same cell was looked at
    await until('pdn-down', () => log.length >= 3);
    await finish(m);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(m.mismatches, [], 'no +COPS? for the cell after the PDN');
    assert.deepEqual(log, [
      'pdn-up ccmni0 10.45.0.2 pcscf=10.45.0.1 mtu=2454',
      'pdn-changed ccmni0 10.45.0.2 pcscf=10.45.0.1 mtu=2454 ani=3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019C01',
      'pdn-down the network deactivated the IMS PDN',
    ]);
  });

  it('modem-ims mode: +CIREGU, an MO call through ATD to released, an MT call approved (+EAIC) and answered (ATA)', async () => {
    const m = await modem('modem-ims-calls.at');
    const { d, log } = await start([m], 'modem-ims');
    await until('+EIMCFLAG', () => d.modemImsEnabled === true);
    m.cue('registered');
    await until('registration', () => d.imsRegistration?.registered === true);
    const call = await d.dial('+15559999');
    assert.equal(call.id, 1);
    await until('the MO call active', () => d.calls.some((c) => c.id === 1 && c.state === 'active'));
    await d.hangup(1);
    await until('the MO call released', () => d.calls.length === 0);
    m.cue('incoming');
    await until('the MT call waiting for approval', () => d.calls.some((c) => c.state === 'approval'));
    await d.approveIncoming(2);
    await until('the MT call ringing', () => d.calls.some((c) => c.state === 'incoming'));
    await d.answer();
    await until('the MT call active', () => d.calls.some((c) => c.id === 2 && c.state === 'active'));
    m.cue('far-end-hangs-up');
    await until('the MT call released', () => d.calls.length === 0);
    m.cue('deregistered');
    await until('deregistration', () => d.imsRegistration?.registered === false);
    await finish(m);
    assert.deepEqual(log, [
      'ims-registration registered ext=5',
      'call 1 outgoing +15559999 dialing',
      'call 1 outgoing +15559999 alerting',
      'call 1 outgoing +15559999 active',
      'call 1 outgoing +15559999 released cause=16',
      'call 2 incoming +15551234 approval',
      'call 2 incoming +15551234 incoming',
      'call 2 incoming +15551234 active',
      'call 2 incoming +15551234 released cause=16',
      'ims-registration unregistered',
    ]);
  });

  it('modem-ims mode: the IMSI (AT+CIMI), DTMF (AT+VTS) and call waiting with AT+CHLD=2 (hold and answer, swap) and AT+CHLD=1', async () => {
    const m = await modem('modem-ims-waiting.at');
    const { d, log } = await start([m], 'modem-ims');
    assert.equal(await d.readImsi(), '001010000000001');
    await until('registration', () => d.imsRegistration?.registered === true);
    await d.dial('+15559999');
    await until('the MO call active', () => d.calls.some((c) => c.id === 1 && c.state === 'active'));
    await d.sendModemTones('1#');
    await assert.rejects(d.sendModemTones('1;H'), /not DTMF digits/);
    m.cue('waiting');
    await until('the MT call waiting for approval', () => d.calls.some((c) => c.state === 'approval'));
    await d.approveIncoming(2);
    await until('the MT call ringing', () => d.calls.some((c) => c.id === 2 && c.state === 'incoming'));
    await d.chld(2);
    await until('held and answered', () => d.calls.map((c) => c.state).join() === 'held,active');
    await d.chld(2);
    await until('swapped', () => d.calls.map((c) => c.state).join() === 'active,held');
    await d.chld(1);
    await until('the active one released, the held one resumed', () => d.calls.map((c) => `${c.id}${c.state}`).join() === '2active');
    await d.hangupAll();
    await until('all released', () => d.calls.length === 0);
    await finish(m);
    assert.deepEqual(log.filter((l) => l.startsWith('call ')).map((l) => l.replace(/ (outgoing|incoming) \+\d+/, '')), [
      'call 1 dialing', 'call 1 alerting', 'call 1 active',
      'call 2 approval', 'call 2 incoming',
      'call 1 held', 'call 2 active',
      'call 2 held', 'call 1 active',
      'call 1 released cause=16', 'call 2 active',
      'call 2 released cause=16',
    ]);
    await assert.rejects(d.chld(2), /no call/);
    await assert.rejects(d.sendModemTones('1'), /no active call/);
  });
});
