// Lab HSS entry point: npx tsx lab/hss/main.ts --config <file.json>
// Runs until SIGTERM/SIGINT, then closes its peers and exits 0.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startHss } from './hss.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) {
    console.error('usage: npx tsx lab/hss/main.ts --config <file.json>');
    process.exit(2);
  }
  const hss = await startHss(JSON.parse(readFileSync(values.config, 'utf8')));
  const stop = (signal: string): void => {
    console.log(`hss: ${signal}, stopping`);
    hss.close().then(() => process.exit(0), (err: Error) => {
      console.error(`hss: close failed: ${err.message}`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  console.error(`hss: ${err.name}: ${err.message}`);
  process.exit(1);
});
