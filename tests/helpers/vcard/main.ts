// The virtual ISIM/USIM as a process: connects to a vpcd reader slot and serves a VirtualUicc
// backed by the soft SIM engine. Run it where the vpcd port is reachable (inside the test's
// network namespace):
//   node --import tsx tests/helpers/vcard/main.ts <config.json>
// stdout: one JSON line {"event":"connected"} once the reader has the card. stdin: JSON lines
// {"cmd":"force","ins":136,"sw":27010,"times":1} | {"cmd":"clear"}, each acknowledged with
// {"event":"ok"}. The process exits when stdin closes.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SoftSim, type SoftSimConfig } from '../../../daemon/auth/sim/soft-sim.js';
import { buildLayout, type CardContent } from './card-files.js';
import { VirtualUicc, type VirtualUiccOptions } from './virtual-uicc.js';
import { connectVpcd } from './vpcd-link.js';

export interface VirtualCardConfig {
  port: number;
  host?: string;
  /** Hex; default a T=0 card with two historical bytes. */
  atr?: string;
  content: CardContent;
  options?: VirtualUiccOptions;
  softSim: SoftSimConfig;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as VirtualCardConfig;
const engine = await SoftSim.open(config.softSim);
const uicc = new VirtualUicc(buildLayout(config.content), engine, config.options);
const atr = Buffer.from(config.atr ?? '3b021450', 'hex');
const socket = await connectVpcd({ atr, reset: () => uicc.reset(), handle: (a) => uicc.handle(a) }, config.port, config.host);
socket.on('close', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ event: 'connected' })}\n`);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = JSON.parse(line) as { cmd: string; ins?: number | 'any'; sw?: number; times?: number };
  if (cmd.cmd === 'force') uicc.force(cmd.ins ?? 'any', cmd.sw ?? 0x6f00, cmd.times ?? 1);
  else if (cmd.cmd === 'clear') uicc.clearForced();
  process.stdout.write(`${JSON.stringify({ event: 'ok' })}\n`);
});
lines.on('close', () => {
  socket.destroy();
  process.exit(0);
});
