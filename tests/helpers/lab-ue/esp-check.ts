// Checks a capture for TS 33.203 7: once the P-CSCF's 401 (with Security-Server) has been sent,
// every SIP packet between the UE and the P-CSCF travels in ESP. tshark decodes the SIP inside
// NULL-encrypted ESP (heuristic on), so an ESP packet counts only if it carries UDP/SIP.
import { execFile } from 'node:child_process';

export interface CapturedPacket {
  frame: number;
  time: number;
  src: string;
  dst: string;
  protocols: string;
  /** SIP request method or "<status> <method>" of a response, '' when not SIP. */
  sip: string;
  /** the ESP SPI, for ESP packets */
  spi?: number;
  /** octets of UDP payload, or of this TCP segment's payload */
  payloadBytes?: number;
}

export interface EspVerdict {
  /** Time of the first 401 from the P-CSCF to the UE (undefined: not in this capture). */
  challengeAt: number | undefined;
  /** Cleartext SIP between UE and P-CSCF after the 401: must be empty. */
  cleartextAfter: CapturedPacket[];
  /** ESP packets carrying SIP after the 401. */
  espSipAfter: CapturedPacket[];
  /** Every UE↔P-CSCF packet in the capture (for the report). */
  all: CapturedPacket[];
}

export function tsharkPackets(pcap: string, ue: string, pcscf: string): Promise<CapturedPacket[]> {
  const filter = `ip.addr == ${ue} && ip.addr == ${pcscf} && (esp || sip)`;
  const args = [
    '-r', pcap, '-o', 'esp.enable_null_encryption_decode_heuristic:TRUE', '-Y', filter, '-T', 'fields', '-E', 'separator=\t',
    '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'frame.protocols',
    '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.CSeq.method', '-e', 'esp.spi', '-e', 'udp.length', '-e', 'tcp.len',
  ];
  return new Promise((res, rej) =>
    execFile('tshark', args, { maxBuffer: 64 << 20 }, (e, out, err) => {
      if (e) return rej(new Error(`tshark ${pcap}: ${err || e.message}`));
      res(out.split('\n').filter((l) => l.trim()).map((l) => {
        const [frame, time, src, dst, protocols, method, status, cseq, spi, udpLength, tcpLength] = l.split('\t');
        // inside ESP the innermost UDP header is the last one tshark lists
        const udp = udpLength ? Number(udpLength.split(',').at(-1)) - 8 : undefined;
        const payloadBytes = udp ?? (tcpLength ? Number(tcpLength.split(',').at(-1)) : undefined);
        return {
          frame: Number(frame), time: Number(time), src: src ?? '', dst: dst ?? '', protocols: protocols ?? '',
          sip: status ? `${status} ${cseq ?? ''}` : (method ?? ''),
          ...(spi ? { spi: Number(spi.split(',')[0]) } : {}),
          ...(payloadBytes !== undefined ? { payloadBytes } : {}),
        };
      }));
    }),
  );
}

export function espVerdict(packets: CapturedPacket[], ue: string, pcscf: string): EspVerdict {
  const isEsp = (p: CapturedPacket) => p.protocols.split(':').includes('esp');
  const challenge = packets.find((p) => !isEsp(p) && p.src === pcscf && p.dst === ue && p.sip.startsWith('401 REGISTER'));
  const after = challenge ? packets.filter((p) => p.time > challenge.time) : [];
  return {
    challengeAt: challenge?.time,
    cleartextAfter: after.filter((p) => !isEsp(p)),
    espSipAfter: after.filter((p) => isEsp(p) && p.protocols.includes('sip')),
    all: packets,
  };
}
