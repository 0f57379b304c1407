#!/usr/bin/env node
// imsctl: look at and steer imsd over D-Bus (the same oFono interfaces every client uses).
//   imsctl [--bus system|ADDRESS] [--name org.imsd|org.ofono] [--modem PATH] COMMAND
//   status | register | unregister | set-registration auto|enabled|disabled | calls | monitor
import { parseArgs } from 'node:util';
import { isRegistrationSetting } from './dbus/backend.js';
import { connectBus, Variant } from './dbus/binding.js';
import { describeError, ImsdClient, show } from './dbus/client.js';

const USAGE = `usage: imsctl [--bus system|ADDRESS] [--name BUSNAME] [--modem PATH] COMMAND
commands:
  status                                  IMS properties of the modem
  register | unregister                   IpMultimediaSystem.Register() / Unregister()
  set-registration auto|enabled|disabled  the remembered Registration setting
  calls                                   VoiceCallManager.GetCalls()
  monitor                                 print imsd's signals until interrupted
`;

const out = (line: string): void => void process.stdout.write(`${line}\n`);

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { bus: { type: 'string', default: 'system' }, name: { type: 'string' }, modem: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    process.stderr.write(`imsctl: ${describeError(e)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const conn = await connectBus(values.bus ?? 'system');
  try {
    const client = await ImsdClient.locate(conn, values.name, values.modem);
    await runCommand(client, cmd, rest);
    return 0;
  } catch (e) {
    process.stderr.write(`imsctl: ${describeError(e)}\n${e instanceof UsageError ? USAGE : ''}`);
    return e instanceof UsageError ? 2 : 1;
  } finally {
    conn.close();
  }
}

async function runCommand(client: ImsdClient, cmd: string, args: string[]): Promise<void> {
  switch (cmd) {
    case 'status': {
      const p = await client.imsProperties();
      out(`modem ${client.modemPath} on ${client.busName}`);
      for (const name of ['Registered', 'Registration', 'VoiceCapable', 'SmsCapable']) {
        out(`  ${name} = ${name in p ? show(p[name]) : 'unknown'}`);
      }
      return;
    }
    case 'register':
    case 'unregister':
      await client.ims(cmd === 'register' ? 'Register' : 'Unregister');
      return;
    case 'set-registration': {
      const setting = args[0];
      if (args.length !== 1 || !isRegistrationSetting(setting)) throw new UsageError('set-registration takes auto, enabled or disabled');
      await client.ims('SetProperty', 'sv', ['Registration', new Variant('s', setting)]);
      return;
    }
    case 'calls': {
      const calls = await client.calls();
      if (calls.length === 0) out('no calls');
      for (const [path, p] of calls) out(`${path} ${show(p.State)} ${show(p.LineIdentification)}`);
      return;
    }
    case 'monitor':
      await monitor(client);
      return;
    default:
      throw new UsageError(`unknown command ${cmd}`);
  }
}

async function monitor(client: ImsdClient): Promise<void> {
  const stopSignals = await client.conn.subscribe({ sender: client.busName }, (s) => {
    out(`${s.path} ${s.interface.replace(/^org\.ofono\./, '')}.${s.member} ${s.body.map(show).join(' ')}`.trimEnd());
  });
  out(`monitoring ${client.busName} ${client.modemPath}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stopSignals();
}

const invokedAs = process.argv[1] ?? '';
if (/imsctl(\.[jt]s)?$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`imsctl: ${describeError(e)}\n`);
      process.exit(1);
    },
  );
}
