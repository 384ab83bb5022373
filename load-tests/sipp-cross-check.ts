import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallResult } from './call-generator.js';
import type { ClipLibrary } from './emodb-clips.js';
import type { EngineCallsPoller } from './engine-calls-poller.js';
import { freePort } from './engine-process.js';

/**
 * The same kind of SIPREC call driven by sipp, an independent SIP peer, to cross-check our generator: if sipp's calls
 * and ours are seen, answered and fed alike by the engine, a difference in our figures is not a quirk of our SIP
 * stack. sipp 3.6's rtp_stream knows one audio stream, so only the caller leg carries audio in these calls.
 */
export interface SippCrossCheckOptions {
  target: { host: string; port: number };
  calls: number;
  rate: number;
  durationSeconds: number;
  lib: ClipLibrary;
  poller: EngineCallsPoller | null;
  log(line: string): void;
  /** Our generator's calls of the same run, for the side-by-side. */
  ourCalls: readonly CallResult[];
}

export interface SippCrossCheck {
  available: boolean;
  note: string;
  sipp: { exitCode: number | null; successful: number | null; failed: number | null; wallSeconds: number };
  /** What the engine's /calls showed for sipp's calls: caller-leg seconds at the last poll that saw each call. */
  engineSawSipp: {
    calls: number;
    callerSecondsMin: number | null;
    callerSecondsMax: number | null;
    packetsLost: number;
  } | null;
  engineSawOurs: { calls: number; attempted: number; completed: number } | null;
}

export async function runSippCrossCheck(o: SippCrossCheckOptions): Promise<SippCrossCheck> {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  const version = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  if (probe.error || !/RTPSTREAM/.test(version)) {
    return {
      available: false,
      note: 'sipp with rtp_stream is not installed (apt-get install sip-tester)',
      sipp: { exitCode: null, successful: null, failed: null, wallSeconds: 0 },
      engineSawSipp: null,
      engineSawOurs: null,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'callguard-load-sipp-'));
  try {
    writeFileSync(join(dir, 'caller.ulaw'), callerAudio(o.lib, o.durationSeconds));
    writeFileSync(join(dir, 'siprec-load.xml'), scenario(o.durationSeconds));
    const mediaPort = await freePort('udp');
    const args = [
      '-sf',
      'siprec-load.xml',
      '-m',
      String(o.calls),
      '-r',
      String(o.rate),
      '-rp',
      '1000',
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-mp',
      String(mediaPort),
      '-nostdin',
      '-timeout',
      String(Math.ceil(o.calls / o.rate + o.durationSeconds + 30)),
      `${o.target.host}:${o.target.port}`,
    ];
    const t0 = Date.now();
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-20000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-20000)));
    const code = await new Promise<number | null>((res) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), (o.calls / o.rate + o.durationSeconds + 60) * 1000);
      child.on('exit', (c) => {
        clearTimeout(guard);
        res(c);
      });
    });
    const lastCount = (label: string) => {
      const lines = out.split('\n').filter((l) => l.includes(label));
      const m = lines.length ? /(\d+)\s*$/.exec(lines[lines.length - 1].trim()) : null;
      return m ? Number(m[1]) : null;
    };
    await o.poller?.poll();
    let engineSawSipp: SippCrossCheck['engineSawSipp'] = null;
    let engineSawOurs: SippCrossCheck['engineSawOurs'] = null;
    if (o.poller?.available) {
      const ours = new Set(o.ourCalls.map((c) => c.callId));
      const sippCalls = [...o.poller.calls.values()].filter((c) => !ours.has(c.callId) && c.lastSeenAt >= t0);
      const caller = sippCalls.map((c) => c.secondsReceived[0] ?? 0);
      engineSawSipp = {
        calls: sippCalls.length,
        callerSecondsMin: caller.length ? Math.min(...caller) : null,
        callerSecondsMax: caller.length ? Math.max(...caller) : null,
        packetsLost: sippCalls.reduce((a, c) => a + c.packetsLost.reduce((x, y) => x + y, 0), 0),
      };
      engineSawOurs = {
        calls: o.ourCalls.filter((c) => o.poller!.calls.has(c.callId)).length,
        attempted: o.ourCalls.filter((c) => c.inviteSentAt > 0).length,
        completed: o.ourCalls.filter((c) => c.outcome === 'completed').length,
      };
    }
    return {
      available: true,
      note:
        `${version.trim().split('\n')[0]}; caller leg only; the engine's view is from GET /calls polled every ` +
        `second, so caller seconds read up to ~1 s short of ${o.durationSeconds} s`,
      sipp: {
        exitCode: code,
        successful: lastCount('Successful call'),
        failed: lastCount('Failed call'),
        wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
      },
      engineSawSipp,
      engineSawOurs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw mu-law (sipp streams file bytes as they are) of calm clips then anger clips, `seconds` long. */
function callerAudio(lib: ClipLibrary, seconds: number): Buffer {
  const need = Math.round(seconds * 8000);
  const parts: Buffer[] = [];
  let n = 0;
  let i = 0;
  while (n < need) {
    const pool = lib.clips(n < need / 2 ? 'N' : 'W', 'PCMU');
    const clip = pool[i++ % pool.length].bytes;
    parts.push(clip);
    n += clip.length;
  }
  return Buffer.concat(parts).subarray(0, need);
}

function scenario(seconds: number): string {
  return (
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- SIPREC load cross-check: multipart INVITE (SDP with two sendonly streams + rs-metadata), ACK, caller audio, ` +
    `BYE. -->
<scenario name="siprec-load">
  <send retrans="500">
    <![CDATA[
      INVITE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:sbc@[local_ip]:[local_port]>;tag=[pid]SIPpLoad[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sbc@[local_ip]:[local_port]>;+sip.src
      Require: siprec
      Max-Forwards: 70
      Content-Type: multipart/mixed;boundary=sippload
      Content-Length: [len]

      --sippload
      Content-Type: application/sdp

      v=0
      o=SRC 1 1 IN IP[local_ip_type] [local_ip]
      s=SIPREC
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=label:1
      a=sendonly
      m=audio [media_port+2] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=label:2
      a=sendonly

      --sippload
      Content-Type: application/rs-metadata+xml
      Content-Disposition: recording-session

      <?xml version="1.0" encoding="UTF-8"?>
      <recording xmlns="urn:ietf:params:xml:ns:recording:1">
        <datamode>complete</datamode>
        <session session_id="sipp-load-[call_number]"/>
        <participant participant_id="p1"><nameID aor="sip:+4916[call_number]@sbc.load.invalid"/></participant>
        <participant participant_id="p2"><nameID aor="tel:+3369[call_number]"/></participant>
        <stream stream_id="s1" session_id="sipp-load-[call_number]"><label>1</label></stream>
        <stream stream_id="s2" session_id="sipp-load-[call_number]"><label>2</label></stream>
        <participantstreamassoc participant_id="p1"><send>s1</send><recv>s2</recv></participantstreamassoc>
        <participantstreamassoc participant_id="p2"><send>s2</send><recv>s1</recv></participantstreamassoc>
      </recording>
      --sippload--
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:sbc@[local_ip]:[local_port]>;tag=[pid]SIPpLoad[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sbc@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <nop><action><exec rtp_stream="caller.ulaw,1,0"/></action></nop>
  <pause milliseconds="${Math.round(seconds * 1000) + 600}"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:sbc@[local_ip]:[local_port]>;tag=[pid]SIPpLoad[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sbc@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
`
  );
}
