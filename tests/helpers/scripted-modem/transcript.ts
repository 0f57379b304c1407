// Transcripts of a scripted modem: readable files, one step per line.
//
//   # comment                     (also after a step: "<- OK   # why")
//   -> AT+CGACT=1,1               the host must send exactly this command next
//   -> ~^AT\+CGDCONT=1,.*$        ... or one matching this regular expression
//   <- +CGCONTRDP: 1,5,"ims"      send a line, framed as V.250 verbose responses are: CR LF text CR LF
//   <-raw \x00\xff+CGCON          send bytes as written (escapes \r \n \t \\ \xHH), no framing
//   wait 150                      pause (ms) before the next step
//   cue bearer                    pause until the test calls modem.cue('bearer')
//   echo on|off                   echo each command back before answering (ATE1 behaviour)
//   hangup                        close the modem end: the device reports EOF/hang-up
//   include other.at              the steps of another transcript (same directory), here
//
// "->" steps wait for the host; "<-" steps after a "->" are its answer. A command the script does
// not expect is answered ERROR and recorded as a mismatch (tests assert there are none).

export type Step =
  | { kind: 'expect'; text: string; regex?: RegExp; line: number }
  | { kind: 'send'; bytes: string; line: number }
  | { kind: 'wait'; ms: number; line: number }
  | { kind: 'cue'; name: string; line: number }
  | { kind: 'echo'; on: boolean; line: number }
  | { kind: 'hangup'; line: number };

export class TranscriptError extends Error {}

function unescape(s: string, where: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|r|n|t|\\|.)/g, (_m, e: string) => {
    if (e === 'r') return '\r';
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    if (e === '\\') return '\\';
    if (e.startsWith('x') && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    throw new TranscriptError(`${where}: unknown escape \\${e}`);
  });
}

/** strips a trailing "   # comment" (two or more spaces before the #) */
function stripComment(s: string): string {
  const i = s.search(/\s{2,}#/);
  return (i >= 0 ? s.slice(0, i) : s).trimEnd();
}

export function parseTranscript(text: string, name = 'transcript', include?: (file: string) => string): Step[] {
  const steps: Step[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const where = `${name}:${line}`;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const body = stripComment(t);
    let m: RegExpExecArray | null;
    if ((m = /^->\s+(.*)$/.exec(body))) {
      const cmd = m[1]!;
      if (cmd.startsWith('~')) steps.push({ kind: 'expect', text: cmd.slice(1), regex: new RegExp(cmd.slice(1)), line });
      else steps.push({ kind: 'expect', text: cmd, line });
    } else if ((m = /^<-raw\s(.*)$/.exec(raw.trim()))) {
      steps.push({ kind: 'send', bytes: unescape(m[1]!, where), line });
    } else if ((m = /^<-\s+(.*)$/.exec(body))) {
      steps.push({ kind: 'send', bytes: `\r\n${m[1]!}\r\n`, line });
    } else if ((m = /^wait\s+(\d+)$/.exec(body))) {
      steps.push({ kind: 'wait', ms: Number(m[1]), line });
    } else if ((m = /^cue\s+(\S+)$/.exec(body))) {
      steps.push({ kind: 'cue', name: m[1]!, line });
    } else if ((m = /^echo\s+(on|off)$/.exec(body))) {
      steps.push({ kind: 'echo', on: m[1] === 'on', line });
    } else if ((m = /^include\s+(\S+)$/.exec(body))) {
      if (!include) throw new TranscriptError(`${where}: include is not possible here`);
      steps.push(...parseTranscript(include(m[1]!), m[1]!, include));
    } else if (body === 'hangup') {
      steps.push({ kind: 'hangup', line });
    } else {
      throw new TranscriptError(`${where}: cannot read "${t}"`);
    }
  });
  return steps;
}
