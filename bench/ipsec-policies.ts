// The eight policies of a sec-agree set (TS 33.203 7.1, UDP + TCP), added and deleted on the host
// kernel in a throwaway network namespace: through imsd's XFRM socket, and through `ip xfrm policy`
// (one process per policy, as a shell-out implementation would). SAs need ESP, which build hosts
// may lack, so they are not in this figure. Figures, not pass/fail (root):
//   npx tsx bench/ipsec-policies.ts [rounds]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { planSaSet } from '../daemon/ipsec/sa-layout.js';
import { XfrmSocket } from '../daemon/ipsec/xfrm-socket.js';
import { buildDelPolicy, buildNewPolicy, type NewPolicy } from '../daemon/ipsec/xfrm/policy.js';

const rounds = Number(process.argv[2] ?? 50);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const plan = planSaSet(
  { address: '10.47.0.2', portC: 5100, portS: 5101, spiC: 0x1000, spiS: 0x1001 },
  { address: '10.47.0.1', portC: 5200, portS: 5201, spiC: 0x2000, spiS: 0x2001 },
  1,
);

const ipArgs = (p: NewPolicy, add: boolean): string[] => {
  const sel = ['src', p.selector.src, 'dst', p.selector.dst, 'proto', p.selector.proto === 17 ? 'udp' : 'tcp',
    'sport', String(p.selector.sport), 'dport', String(p.selector.dport), 'dir', p.dir];
  return add
    ? ['xfrm', 'policy', 'add', ...sel, 'tmpl', 'src', p.tmpl.src, 'dst', p.tmpl.dst, 'proto', 'esp', 'mode', 'transport', 'reqid', String(p.tmpl.reqid)]
    : ['xfrm', 'policy', 'delete', ...sel];
};

async function inside(): Promise<void> {
  const socket = new XfrmSocket();
  const ours: number[] = [];
  const iproute: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (const p of plan.policies) await socket.request('add-policy', (seq) => buildNewPolicy(p, seq), '');
    for (const p of plan.policies) await socket.request('delete-policy', (seq) => buildDelPolicy(p, seq), '');
    ours.push(performance.now() - t);
    t = performance.now();
    for (const p of plan.policies) execFileSync('ip', ipArgs(p, true));
    for (const p of plan.policies) execFileSync('ip', ipArgs(p, false));
    iproute.push(performance.now() - t);
  }
  socket.close();
  console.log(`8 policies added + deleted, median of ${rounds} rounds:`);
  console.log(`  imsd XFRM socket:        ${median(ours).toFixed(2)} ms`);
  console.log(`  ip xfrm (16 processes):  ${median(iproute).toFixed(2)} ms`);
}

if (process.argv.includes('--inside')) {
  await inside();
} else {
  const ns = `imsdb-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), String(rounds), '--inside'],
      { stdio: 'inherit' });
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
