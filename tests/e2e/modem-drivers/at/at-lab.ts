// The set-up the AT driver's lab tests share: the lab (host, no IPsec) with its private system bus
// in the UE namespace, the lab's first subscriber on a virtual ISIM (the soft SIM engine behind
// +CCHO/+CGLA), a scripted modem that brings the IMS PDN up with the lab's UE address and P-CSCF
// in +CGCONTRDP (as PCO would), reports its LTE cell (+COPS?, +CEREG?) and then plays the rest of a
// test's transcript, and imsd as a
// process with `Modem=at` and `[Sim] Source=modem` on that modem.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up, type UpOptions } from '../../../../lab/core/lab.js';
import { imsdPaths, LAB_IMSD, startLabBus } from '../../../../lab/core/ue.js';
import { defaultOptions, names, type LabOptions } from '../../../../lab/options.js';
import { SoftSim } from '../../../../daemon/auth/sim/soft-sim.js';
import { spawnImsd, type ImsdChild } from '../../../e2e/daemon/main/imsd-process.js';
import { ScriptedModem, type ModemService } from '../../../helpers/scripted-modem/scripted-modem.js';
import { UiccService } from '../../../helpers/scripted-modem/uicc-service.js';
import type { CardContent } from '../../../helpers/vcard/card-files.js';

/** the lab's first subscriber's keys, as the HSS has them */
export const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
export const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
/** the lab's first subscriber's MSISDN */
export const MSISDN = '+15550001';
/** the P-Access-Network-Info of the scripted modem's cell (`cell()`): PLMN 00101, TAC 0x0001, cell 0x0019B01 */
export const CELL = '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=0010100010019B01';

export async function waitFor(ok: () => boolean, timeoutMs: number, log: string[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; log:\n${log.slice(-30).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class AtLab {
  engine: SoftSim | undefined;
  uicc: UiccService | undefined;
  modem: ScriptedModem | undefined;

  private constructor(readonly o: LabOptions, readonly dir: string) {}

  /** the lab up (no imsd of its own: the test starts it with `startImsd`) and its system bus */
  static async up(tag: string, options: Omit<UpOptions, 'imsd' | 'log'> = {}): Promise<AtLab> {
    const dir = mkdtempSync(join(tmpdir(), `imsdt-at${tag}-`));
    const o = defaultOptions({ runDir: join(dir, 'lab'), prefix: `imsdt${randomBytes(1).toString('hex')}${tag.slice(0, 1)}`, ipsec: 'off' });
    const lab = new AtLab(o, dir);
    try {
      await up(o, { ...options, log: () => undefined });
      await startLabBus(o, names(o).ueNs);
    } catch (e) {
      await lab.down();
      throw e;
    }
    return lab;
  }

  get busAddress(): string {
    return imsdPaths(this.o).busAddress;
  }

  /**
   * The scripted modem: 27.007 set-up (init.at), the IMS PDN activated on cid 1 with the lab's UE
   * address and /24 mask, the P-CSCF as PCO gives it, MTU 1500 (10.1.23), its cell (`cell()`), then `rest`.
   */
  async startModem(rest: string, services: ModemService[] = []): Promise<ScriptedModem> {
    const o = this.o;
    const domain = o.domain;
    const content: CardContent = {
      imsi: '001010000000001',
      mncLength: 2,
      isim: { impi: `001010000000001@${domain}`, domain, impus: [`sip:${MSISDN}@${domain}`, `tel:${MSISDN}`], pcscf: [] },
    };
    this.engine = await SoftSim.open({ imsi: content.imsi, mncLength: 2, k: K, opc: OPC, stateFile: join(this.dir, 'card-sqn.json') });
    this.uicc = new UiccService(content, this.engine);
    const keepalive: ModemService = { handle: (c) => (c === 'AT' ? ['OK'] : undefined) };
    this.modem = await ScriptedModem.start(`include init.at
-> AT+CGACT?
<- +CGACT: 1,0
<- OK
-> AT+CGDCONT=1,"IPV4V6","ims","",0,0,0,0,1,1,0,0,1
<- OK
-> AT+CGACT=1,1
<- OK
<- +CGEV: ME PDN ACT 1
-> AT+CGCONTRDP=1
<- ${this.contextDynamic()}
<- OK
${this.cell()}
${rest}`, { services: [this.uicc, keepalive, ...services], name: 'lab modem' });
    return this.modem;
  }

  /** 27.007 10.1.23: what +CGCONTRDP=1 answers for the IMS PDN in this lab */
  contextDynamic(): string {
    const o = this.o;
    return `+CGCONTRDP: 1,5,"ims","${o.ueV4}.255.255.255.0","${o.coreV4}","${o.coreV4}","0.0.0.0","${o.coreV4}","0.0.0.0",1,0,1500`;
  }

  /** the transcript steps answering the driver's cell queries at PDN up (27.007 7.3 +COPS?, 10.1.22 +CEREG?): `CELL` */
  cell(): string {
    return `-> AT+COPS?
<- +COPS: 0,2,"00101",7
<- OK
-> AT+CEREG?
<- +CEREG: 2,1,"0001","00019B01",7
<- OK`;
  }

  /** imsd in the UE namespace on the scripted modem, logging at debug level */
  startImsd(): ImsdChild {
    if (!this.modem) throw new Error('start the modem first');
    const conf = join(this.dir, 'imsd.conf');
    writeFileSync(conf, `[General]
Bus=${this.busAddress}
BusName=${LAB_IMSD.busName}
Modem=at
StateDir=${join(this.dir, 'state')}
[Sim]
Source=modem
[Modem]
Device=${this.modem.device}
Interface=${names(this.o).ueIf}
[Ims]
SecAgree=none
[Log]
Level=debug
`);
    return spawnImsd(names(this.o).ueNs, conf);
  }

  async down(): Promise<void> {
    await this.modem?.stop();
    await this.engine?.close();
    await down(this.o, { quiet: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
