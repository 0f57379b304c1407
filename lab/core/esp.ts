// Does this kernel do ESP? The host kernels of some build machines lack CONFIG_INET_ESP: adding an
// ESP SA then fails with "Requested type not found" (EPROTONOSUPPORT), while XFRM policies work.
import { run, tryRun } from './exec.js';

export async function kernelHasEsp(ns: string): Promise<boolean> {
  const spi = '0x7ffffff1';
  const ok = await tryRun([
    'ip', '-n', ns, 'xfrm', 'state', 'add', 'src', '127.0.0.1', 'dst', '127.0.0.1', 'proto', 'esp', 'spi', spi,
    'mode', 'transport', 'auth-trunc', 'hmac(sha1)', '0x' + '00'.repeat(20), '96', 'enc', 'ecb(cipher_null)', '',
  ]);
  if (ok) await run(['ip', '-n', ns, 'xfrm', 'state', 'delete', 'src', '127.0.0.1', 'dst', '127.0.0.1', 'proto', 'esp', 'spi', spi]);
  return ok;
}
