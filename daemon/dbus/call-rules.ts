// The checks oFono's core makes on the calls present before it asks its driver to act
// (src/voicecall.c manager_dial/voicecall_dial, voicecall_answer, voicecall_hangup,
// manager_hold_and_answer, manager_release_and_answer, manager_swap_calls, manager_tone).
// A refused request is org.ofono.Error.Failed, as in oFono; the backend is not asked.
import type { CallState } from './backend.js';
import { OfonoError } from './errors.js';

/** src/voicecall.c MAX_VOICE_CALLS */
export const MAX_VOICE_CALLS = 16;

const failed = (why: string): OfonoError => new OfonoError('Failed', why);
const count = (states: readonly CallState[], ...wanted: CallState[]): number => states.filter((s) => wanted.includes(s)).length;

/** Dial: room for one more call, no incoming call, no call being set up, not both active and held */
export function dialRefusal(states: readonly CallState[]): OfonoError | undefined {
  if (states.length >= MAX_VOICE_CALLS) return failed(`at most ${MAX_VOICE_CALLS} calls`);
  if (count(states, 'incoming') > 0) return failed('an incoming call is waiting to be answered or rejected');
  if (count(states, 'dialing', 'alerting') > 0) return failed('another call is being set up');
  if (count(states, 'active') > 0 && count(states, 'held') > 0) return failed('there are already an active and a held call');
  return undefined;
}

/** VoiceCall.Answer is only for a call in state incoming (a waiting one: HoldAndAnswer/ReleaseAndAnswer) */
export function answerRefusal(state: CallState): OfonoError | undefined {
  return state === 'incoming' ? undefined : failed(`Answer is for an incoming call; this one is ${state}`);
}

export function hangupRefusal(state: CallState): OfonoError | undefined {
  return state === 'disconnected' ? failed('the call is already disconnected') : undefined;
}

/** HoldAndAnswer: a waiting call, and not both an active and a held one (TS 22.030) */
export function holdAndAnswerRefusal(states: readonly CallState[]): OfonoError | undefined {
  if (count(states, 'waiting') === 0) return failed('no waiting call');
  if (count(states, 'active') > 0 && count(states, 'held') > 0) return failed('there are already an active and a held call');
  return undefined;
}

export function releaseAndAnswerRefusal(states: readonly CallState[]): OfonoError | undefined {
  return count(states, 'waiting') === 0 ? failed('no waiting call') : undefined;
}

/** SwapCalls is refused while a call is waiting (TS 22.030 has no CHLD=2 then) */
export function swapRefusal(states: readonly CallState[]): OfonoError | undefined {
  return count(states, 'waiting') > 0 ? failed('a call is waiting: use HoldAndAnswer or ReleaseAndAnswer') : undefined;
}

/** DTMF needs a connected call: active, or alerting (second-stage dialling) */
export function tonesRefusal(states: readonly CallState[]): OfonoError | undefined {
  return count(states, 'active', 'alerting') === 0 ? failed('no active call to send tones on') : undefined;
}
