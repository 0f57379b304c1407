#!/usr/bin/env node
// imsctl: look at and steer imsd over D-Bus (the same oFono interfaces every client uses).
//   imsctl [--bus system|ADDRESS] [--name org.imsd|org.ofono] [--modem PATH] COMMAND
//   status | register | unregister | set-registration auto|enabled|disabled
//   calls | dial NUMBER [default|enabled|disabled] | answer [CALL] | hangup [CALL] | tones DIGITS | monitor
import { parseArgs } from 'node:util';
import { isRegistrationSetting } from './dbus/backend.js';
import { connectBus, Variant } from './dbus/binding.js';
import { HIDE_CALLERID_RULE, isHideCallerId, isPhoneNumber, isTones, PHONE_NUMBER_RULE, TONES_RULE } from './dbus/call-arguments.js';
import { describeError, ImsdClient, show } from './dbus/client.js';

const USAGE = `usage: imsctl [--bus system|ADDRESS] [--name BUSNAME] [--modem PATH] COMMAND
commands:
  status                                  IMS properties of the modem
  register | unregister                   IpMultimediaSystem.Register() / Unregister()
  set-registration auto|enabled|disabled  the remembered Registration setting
  calls                                   VoiceCallManager.GetCalls(): path, state, number, name
  dial NUMBER [default|enabled|disabled]  VoiceCallManager.Dial(); prints the call's path;
                                          enabled hides the caller id, disabled shows it
  answer [CALL]                           answer CALL, else the incoming call (Answer) or the
                                          waiting one (HoldAndAnswer: the active call is held)
  hangup [CALL]                           hang up CALL (reject, cancel or end it), else every
                                          call but a waiting one (HangupAll)
  tones DIGITS                            VoiceCallManager.SendTones(): 0-9 * # A-D on the active call
  monitor                                 print imsd's signals (IMS and calls) until interrupted
CALL is a call's object path, or its last part (voicecall01).
exit status: 0 done, 1 failed (the D-Bus error is printed), 2 usage error
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
  try {
    // bad input is refused before the bus is touched
    checkArguments(cmd, rest);
  } catch (e) {
    process.stderr.write(`imsctl: ${describeError(e)}\n${USAGE}`);
    return 2;
  }
  const conn = await connectBus(values.bus ?? 'system');
  try {
    const client = await ImsdClient.locate(conn, values.name, values.modem);
    await runCommand(client, cmd, rest);
    return 0;
  } catch (e) {
    process.stderr.write(`imsctl: ${describeError(e)}\n`);
    return 1;
  } finally {
    conn.close();
  }
}

const CALL_NAME = /^(\/[A-Za-z0-9_]+)*\/?[A-Za-z0-9_]+$/;

function checkArguments(cmd: string, args: string[]): void {
  const most = (n: number): void => {
    if (args.length > n) throw new UsageError(`${cmd} takes ${n === 0 ? 'no arguments' : `at most ${n} argument${n > 1 ? 's' : ''}`}`);
  };
  switch (cmd) {
    case 'status':
    case 'register':
    case 'unregister':
    case 'calls':
    case 'monitor':
      return most(0);
    case 'set-registration':
      if (args.length !== 1 || !isRegistrationSetting(args[0])) throw new UsageError('set-registration takes auto, enabled or disabled');
      return;
    case 'dial':
      most(2);
      if (!isPhoneNumber(args[0])) throw new UsageError(`dial: ${args[0] === undefined ? 'no number' : `bad number "${args[0]}"`} (${PHONE_NUMBER_RULE})`);
      if (args[1] !== undefined && (!isHideCallerId(args[1]) || args[1] === '')) throw new UsageError(`dial: ${HIDE_CALLERID_RULE.replace('"", ', '')}`);
      return;
    case 'answer':
    case 'hangup':
      most(1);
      if (args[0] !== undefined && !CALL_NAME.test(args[0])) throw new UsageError(`${cmd}: "${args[0]}" is not a call path`);
      return;
    case 'tones':
      if (args.length !== 1 || !isTones(args[0])) throw new UsageError(`tones takes one string of digits (${TONES_RULE})`);
      return;
    default:
      throw new UsageError(`unknown command ${cmd}`);
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
    case 'set-registration':
      await client.ims('SetProperty', 'sv', ['Registration', new Variant('s', args[0])]);
      return;
    case 'calls': {
      const calls = await client.calls();
      if (calls.length === 0) out('no calls');
      for (const [path, p] of calls) {
        const name = p.Name && show(p.Name) ? ` "${show(p.Name)}"` : '';
        const since = p.StartTime ? ` since ${show(p.StartTime)}` : '';
        out(`${path} ${show(p.State)} ${show(p.LineIdentification)}${name}${since}`);
      }
      return;
    }
    case 'dial':
      out(await client.dial(args[0]!, args[1] ?? 'default'));
      return;
    case 'answer':
      await answer(client, args[0]);
      return;
    case 'hangup':
      if (args[0] === undefined) {
        await client.voiceCallManager('HangupAll');
      } else {
        await client.voiceCall(client.callPath(args[0]), 'Hangup');
      }
      return;
    case 'tones':
      await client.voiceCallManager('SendTones', 's', [args[0]]);
      return;
    case 'monitor':
      await monitor(client);
      return;
  }
}

/** oFono answers an incoming call with VoiceCall.Answer and a waiting one with HoldAndAnswer */
async function answer(client: ImsdClient, given: string | undefined): Promise<void> {
  if (given !== undefined) {
    await client.voiceCall(client.callPath(given), 'Answer');
    out(`answered ${client.callPath(given)}`);
    return;
  }
  const calls = await client.calls();
  const incoming = calls.find(([, p]) => p.State?.value === 'incoming');
  if (incoming) {
    await client.voiceCall(incoming[0], 'Answer');
    out(`answered ${incoming[0]}`);
    return;
  }
  const waiting = calls.find(([, p]) => p.State?.value === 'waiting');
  if (waiting) {
    await client.voiceCallManager('HoldAndAnswer');
    out(`answered ${waiting[0]} (the active call is held)`);
    return;
  }
  throw new Error('no incoming or waiting call to answer');
}

async function monitor(client: ImsdClient): Promise<void> {
  // every signal of the service: IpMultimediaSystem, VoiceCallManager (CallAdded/CallRemoved)
  // and each call's VoiceCall (PropertyChanged, DisconnectReason)
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
