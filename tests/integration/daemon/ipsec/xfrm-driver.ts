// Runs XfrmIpsecManager (and the raw XFRM socket) step by step inside whatever network namespace
// it was started in (`ip netns exec <ns> node --import tsx xfrm-driver.ts '<steps json>'`), and
// reports each step's result or typed error as a line "STEP <n> <json>". Used by the integration
// tests (policies on the host kernel) and the User-Mode Linux e2e test (SAs and ESP traffic).
import { spawn } from 'node:child_process';
import { XfrmIpsecManager } from '../../../../daemon/ipsec/sa-manager.js';
import { IpsecError, type InstalledSaSet, type SaSetSpec, type IpsecOperation } from '../../../../daemon/ipsec/types.js';
import { XfrmSocket } from '../../../../daemon/ipsec/xfrm-socket.js';
import { buildDelPolicy, buildNewPolicy, buildPolicyDump, parsePolicy, type NewPolicy, type PolicyId } from '../../../../daemon/ipsec/xfrm/policy.js';
import { buildNewSa, type NewSa } from '../../../../daemon/ipsec/xfrm/state.js';
import { XFRM_MSG_NEWPOLICY } from '../../../../daemon/ipsec/xfrm/constants.js';
import { echoServers, exchange, type Endpoint } from './esp-peer.js';

type Step =
  | { op: 'install'; spec: Omit<SaSetSpec, 'ik' | 'ck'> & { ik: string; ck: string } }
  | { op: 'remove'; set: number }
  | { op: 'removeStale' }
  | { op: 'allocateSpis' }
  | { op: 'close' }
  | { op: 'add-policy'; policy: NewPolicy }
  | { op: 'delete-policy'; policy: PolicyId }
  | { op: 'dump-policy' }
  | { op: 'add-sa'; sa: Omit<NewSa, 'authKey' | 'encKey'> & { authKey: string; encKey: string } }
  | { op: 'raw'; as: IpsecOperation; hex: string }
  | { op: 'serve'; endpoints: Endpoint[] }
  | { op: 'exchange'; proto: 'udp' | 'tcp'; from: Endpoint; to: Endpoint }
  | { op: 'run'; argv: string[] };

const steps = JSON.parse(process.argv[2]) as Step[];
const manager = XfrmIpsecManager.open();
const socket = new XfrmSocket();
const sets: InstalledSaSet[] = [];
const servers: { close(): void }[] = [];

function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function step(s: Step): Promise<unknown> {
  switch (s.op) {
    case 'install': {
      const set = await manager.install({ ...s.spec, ik: Buffer.from(s.spec.ik, 'hex'), ck: Buffer.from(s.spec.ck, 'hex') });
      sets.push(set);
      return set;
    }
    case 'remove':
      return manager.remove(sets[s.set]);
    case 'removeStale':
      return manager.removeStale();
    case 'allocateSpis':
      return manager.allocateSpis();
    case 'close':
      return manager.close();
    case 'add-policy':
      return socket.request('add-policy', (seq) => buildNewPolicy(s.policy, seq), 'test policy');
    case 'delete-policy':
      return socket.request('delete-policy', (seq) => buildDelPolicy(s.policy, seq), 'test policy');
    case 'dump-policy':
      return (await socket.dump('dump-policy', buildPolicyDump)).filter((m) => m.type === XFRM_MSG_NEWPOLICY).map(parsePolicy);
    case 'add-sa':
      return socket.request('add-sa', (seq) => buildNewSa({ ...s.sa, authKey: Buffer.from(s.sa.authKey, 'hex'), encKey: Buffer.from(s.sa.encKey, 'hex') }, seq), 'test SA');
    case 'raw':
      return socket.request(s.as, (seq) => {
        const b = Buffer.from(s.hex, 'hex');
        b.writeUInt32LE(seq, 8);
        return b;
      }, 'raw message');
    case 'serve':
      servers.push(await echoServers(s.endpoints));
      return 'serving';
    case 'exchange':
      return exchange(s.proto, s.from, s.to, 4000);
    case 'run':
      return run(s.argv);
  }
}

for (const [i, s] of steps.entries()) {
  let out: unknown;
  const t0 = process.hrtime.bigint();
  try {
    out = { ok: (await step(s)) ?? null };
  } catch (e) {
    out = e instanceof IpsecError
      ? { error: { name: e.name, operation: e.operation, errno: e.errno ?? null, code: e.code, message: e.message } }
      : { error: { name: (e as Error).name, message: (e as Error).message } };
  }
  console.log(`STEP ${i} ${JSON.stringify(out)}`);
  console.log(`TIME ${i} ${Number(process.hrtime.bigint() - t0) / 1e6}`);
}
for (const s of servers) s.close();
await manager.close().catch((e: Error) => console.log(`CLOSE-ERROR ${e.message}`));
socket.close();
