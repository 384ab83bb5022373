import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../engine/media/wav-reader.js';
import { SipTestPeer, answerPorts, toTagOf } from '../../engine/ingest/fixtures/sip-test-peer.js';
import { inDialogRequest, siprecInvite } from '../../engine/ingest/fixtures/siprec-invite.js';
import { ffmpegProcess } from './ffmpeg.js';

/** The codecs a test call can be sent in, with how ffmpeg encodes them and how the SBC's offer names them. */
export type TestCodec = 'PCMU' | 'PCMA' | 'G722' | 'OPUS' | 'AMR-WB' | 'AMR';

const OFFER: Record<TestCodec, { pt: number; lines: string[] }> = {
  PCMU: { pt: 0, lines: ['a=rtpmap:0 PCMU/8000'] },
  PCMA: { pt: 8, lines: ['a=rtpmap:8 PCMA/8000'] },
  G722: { pt: 9, lines: ['a=rtpmap:9 G722/8000'] },
  OPUS: { pt: 111, lines: ['a=rtpmap:111 opus/48000/2', 'a=fmtp:111 useinbandfec=1'] },
  // ffmpeg's RTP packetiser writes AMR in the octet-aligned format only.
  'AMR-WB': { pt: 96, lines: ['a=rtpmap:96 AMR-WB/16000', 'a=fmtp:96 octet-align=1'] },
  AMR: { pt: 97, lines: ['a=rtpmap:97 AMR/8000', 'a=fmtp:97 octet-align=1'] },
};

/** ffmpeg's encoder options per codec (one 20 ms frame per packet). */
export const FFMPEG_ENCODE: Record<TestCodec, string[]> = {
  PCMU: ['-ar', '8000', '-c:a', 'pcm_mulaw'],
  PCMA: ['-ar', '8000', '-c:a', 'pcm_alaw'],
  G722: ['-ar', '16000', '-c:a', 'g722'],
  OPUS: ['-ar', '48000', '-c:a', 'libopus', '-application', 'voip', '-b:a', '24k', '-frame_duration', '20'],
  'AMR-WB': ['-ar', '16000', '-c:a', 'libvo_amrwbenc', '-b:a', '23850'],
  AMR: ['-ar', '8000', '-c:a', 'libopencore_amrnb', '-b:a', '12200'],
};

/** ffmpeg packs G.711 into 1460-octet payloads whatever -max_delay says: a 172-octet packet size makes them 20 ms. */
const G711 = new Set<TestCodec>(['PCMU', 'PCMA']);

/** The ffmpeg encoder each codec needs. */
export const FFMPEG_ENCODER: Record<TestCodec, string> = {
  PCMU: 'pcm_mulaw',
  PCMA: 'pcm_alaw',
  G722: 'g722',
  OPUS: 'libopus',
  'AMR-WB': 'libvo_amrwbenc',
  AMR: 'libopencore_amrnb',
};

/** An SBC's SDP offering only `codec` (and telephone-event) on two sendonly m-lines labelled 1 and 2. */
export function codecOffer(codec: TestCodec, opts: { ports?: [number, number]; address?: string } = {}): string {
  const addr = opts.address ?? '127.0.0.1';
  const [p1, p2] = opts.ports ?? [41000, 41002];
  const o = OFFER[codec];
  const media = (port: number, label: string) => [
    `m=audio ${port} RTP/AVP ${o.pt} 101`,
    ...o.lines,
    'a=rtpmap:101 telephone-event/8000',
    `a=label:${label}`,
    'a=sendonly',
  ];
  return [
    'v=0',
    `o=SBC 4321 1 IN IP4 ${addr}`,
    's=SIPREC',
    `c=IN IP4 ${addr}`,
    't=0 0',
    ...media(p1, '1'),
    ...media(p2, '2'),
    '',
  ].join('\r\n');
}

export interface CodecCallResult {
  /** ffmpeg's exit code per leg. */
  senders: number[];
  /** The 200 OK's SDP answer. */
  answer: string;
}

/**
 * One SIPREC call as an SBC would make it, with ffmpeg as the independent RTP stack: our test SIP peer sends the
 * INVITE offering only `codec`, then ffmpeg encodes each leg's PCM (8 kHz) and sends it in real time (-re) to the
 * port the answer names; when both are done the peer sends BYE. `onAnswered` runs once the call is up.
 */
export async function codecCall(opts: {
  sipPort: number;
  codec: TestCodec;
  callId: string;
  legs: [Int16Array, Int16Array];
  onAnswered?: () => void | Promise<void>;
}): Promise<CodecCallResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-codec-call-'));
  const peer = await SipTestPeer.udp();
  try {
    const params = { callId: opts.callId, local: peer.local, target: `127.0.0.1:${opts.sipPort}` };
    peer.send(siprecInvite({ ...params, sdp: codecOffer(opts.codec) }), opts.sipPort);
    const ok = await peer.waitForResponse(200, 'INVITE', 10000);
    const toTag = toTagOf(ok);
    peer.send(inDialogRequest('ACK', { ...params, toTag }), opts.sipPort);
    await opts.onAnswered?.();
    const ports = answerPorts(ok);
    // One ffmpeg and one stereo input for both legs (caller left, callee right), split into two RTP outputs, as one
    // SBC forks both directions at once: the legs are paced by the same input reads. (Two inputs or two processes
    // start their legs hundreds of ms apart on a busy machine, and release the later one in a burst.)
    const wav = join(dir, 'call.wav');
    writeFileSync(wav, encodeWav([opts.legs[0], opts.legs[1]], 8000, 'pcm16'));
    const args = ['-re', '-i', wav, '-filter_complex', '[0:a]channelsplit=channel_layout=stereo[l0][l1]'];
    opts.legs.forEach((_, i) => {
      const url = `rtp://127.0.0.1:${ports[i]}${G711.has(opts.codec) ? '?pkt_size=172' : ''}`;
      args.push(
        '-map',
        `[l${i}]`,
        '-ac',
        '1',
        ...FFMPEG_ENCODE[opts.codec],
        '-max_delay',
        '20000',
        '-payload_type',
        String(OFFER[opts.codec].pt),
        '-f',
        'rtp',
        url,
      );
    });
    const code = await ffmpegProcess(args).done;
    const codes = [code, code];
    // The last packets' way through the jitter buffer: the BYE's close() flushes what is buffered.
    await new Promise((r) => setTimeout(r, 200));
    peer.send(inDialogRequest('BYE', { ...params, toTag, cseq: 2 }), opts.sipPort);
    await peer.waitForResponse(200, 'BYE', 10000);
    return { senders: codes, answer: ok.body.toString('utf8') };
  } finally {
    peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
