// A private system-like bus: a real dbus-daemon on a socket in a fresh temp dir, for one test file.
// With `policyFiles` the bus behaves like Debian's system bus (deny by default, as system.conf)
// and includes those files, so the project's own policy is what decides.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface PrivateBus {
  address: string;
  dir: string;
  stop(): Promise<void>;
}

const OPEN_POLICY = `
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
  </policy>`;

// Debian 12 /usr/share/dbus-1/system.conf defaults
const SYSTEM_POLICY = `
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>`;

export async function startPrivateBus(policyFiles?: Record<string, string>): Promise<PrivateBus> {
  const dir = await mkdtemp(join(tmpdir(), 'imsdt-dbus-'));
  // non-root test clients must reach the socket
  await chmod(dir, 0o755);
  const includes: string[] = [];
  for (const [name, text] of Object.entries(policyFiles ?? {})) {
    const file = join(dir, name);
    await writeFile(file, text);
    includes.push(`  <include>${file}</include>`);
  }
  const conf = join(dir, 'bus.conf');
  await writeFile(
    conf,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${join(dir, 'system_bus_socket')}</listen>
  <auth>EXTERNAL</auth>
${policyFiles ? SYSTEM_POLICY : OPEN_POLICY}
${includes.join('\n')}
</busconfig>
`,
  );
  const child: ChildProcess = spawn('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--print-address'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dbus-daemon did not print its address')), 5000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${String(code)}`)));
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        resolve(line.trim());
      });
    });
    return {
      address,
      dir,
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
