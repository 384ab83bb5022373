import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { AudioCodec } from './codecs/audio-codec.js';
import { AMR_NB_FRAME_BITS, AMR_WB_FRAME_BITS } from './codecs/amr-payload.js';
import { createLegDecoder, loadCodecs } from './codecs/leg-decoder-factory.js';
import { createCounters } from './ingest-counters.js';
import { writeRtpPacket } from './rtp-packet.js';
import { OPUS_OGG_ARGS, oggPackets } from '../../test/support/ogg-packets.js';
import { RtpReceiver, type LegMedia } from './rtp-receiver.js';

/**
 * Decode CPU per leg-second for each codec ingest takes, in one run: Emo-DB speech encoded by ffmpeg (the same
 * encoders as the end-to-end tests) into 20 ms RTP payloads, fed to LEGS receivers round-robin (parse, latch, jitter
 * buffer, decode, sink), and to the decoders alone. Needs ffmpeg with libavcodec-extra.
 * Run: npm run bench:codecs  (LEGS=.. SECONDS=.. to change the load)
 */
const LEGS = Number(process.env.LEGS ?? 100);
const SECONDS = Number(process.env.SECONDS ?? 20);
const emodb = fileURLToPath(new URL('../../../../shared/data/emodb-8k/', import.meta.url));

function ff(args: string[]): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 1 << 28 });
}

/** SECONDS of Emo-DB speech (8 kHz WAV files, concatenated by ffmpeg's concat filter). */
function speechArgs(): string[] {
  const files = readdirSync(emodb)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .slice(0, 40);
  const args: string[] = [];
  for (const f of files) args.push('-i', join(emodb, f));
  args.push(
    '-filter_complex',
    `${files.map((_, i) => `[${i}:a]`).join('')}concat=n=${files.length}:v=0:a=1[a]`,
    '-map',
    '[a]',
    '-t',
    String(SECONDS),
  );
  return args;
}

function stored(amr: Buffer, wideband: boolean): Uint8Array[] {
  const bits = wideband ? AMR_WB_FRAME_BITS : AMR_NB_FRAME_BITS;
  const out: Uint8Array[] = [];
  for (let off = wideband ? 9 : 6; off < amr.length;) {
    const size = 1 + Math.ceil(Math.max(0, bits[(amr[off] >> 3) & 15]) / 8);
    const p = new Uint8Array(size + 1);
    p[0] = 0xf0;
    p[1] = amr[off] & 0x7c;
    p.set(amr.subarray(off + 1, off + size), 2);
    out.push(p);
    off += size;
  }
  return out;
}

function payloads(codec: AudioCodec): Uint8Array[] {
  const src = speechArgs();
  switch (codec) {
    case 'PCMU': {
      const raw = ff([...src, '-ar', '8000', '-c:a', 'pcm_mulaw', '-f', 'mulaw', '-']);
      return Array.from({ length: Math.floor(raw.length / 160) }, (_, i) => raw.subarray(i * 160, i * 160 + 160));
    }
    case 'G722': {
      const raw = ff([...src, '-ar', '16000', '-c:a', 'g722', '-f', 'g722', '-']);
      return Array.from({ length: Math.floor(raw.length / 160) }, (_, i) => raw.subarray(i * 160, i * 160 + 160));
    }
    case 'OPUS':
      // The first two packets are the OpusHead and OpusTags headers, not audio.
      return oggPackets(ff([...src, ...OPUS_OGG_ARGS])).slice(2);
    case 'AMR-WB':
      return stored(ff([...src, '-ar', '16000', '-c:a', 'libvo_amrwbenc', '-b:a', '23850', '-f', 'amr', '-']), true);
    case 'AMR':
      return stored(ff([...src, '-ar', '8000', '-c:a', 'libopencore_amrnb', '-b:a', '12200', '-f', 'amr', '-']), false);
    default:
      throw new Error(codec);
  }
}

const STEP: Partial<Record<AudioCodec, number>> = { PCMU: 160, G722: 160, OPUS: 960, 'AMR-WB': 320, AMR: 160 };
const PT: Partial<Record<AudioCodec, number>> = { PCMU: 0, G722: 9, OPUS: 111, 'AMR-WB': 96, AMR: 97 };

async function bench(codec: AudioCodec) {
  const pl = payloads(codec);
  const media: LegMedia = {
    payloadType: PT[codec]!,
    codec,
    ...(codec === 'AMR' || codec === 'AMR-WB' ? { amr: { octetAligned: true, modeSet: null } } : {}),
    skipPayloadTypes: [13, 101],
    expectedAddress: '10.0.0.1',
    onHold: false,
  };
  const counters = createCounters();
  let clockMs = 0;
  let samples = 0;
  const sink = { write: (_p: Int16Array, _o: number, n: number) => void (samples += n) };
  const receivers: RtpReceiver[] = [];
  for (let i = 0; i < LEGS; i++) {
    receivers.push(
      new RtpReceiver({
        socket: null,
        localPort: 20000 + i,
        media,
        decoder: await createLegDecoder(media, counters),
        sink,
        counters,
        isAllowedSource: () => false,
        jitterDepth: 3,
        now: () => clockMs,
      }),
    );
  }
  const packets = pl.map((p, k) => {
    const b = Buffer.alloc(12 + p.length);
    writeRtpPacket(b, PT[codec]!, k & 0xffff, (k * STEP[codec]!) >>> 0, 0x1234, p);
    return b;
  });
  const run = (from: number, to: number) => {
    for (let r = from; r < to; r++) {
      clockMs = r * 20;
      const pkt = packets[r];
      for (let l = 0; l < LEGS; l++) receivers[l].handle(pkt, pkt.length, '10.0.0.1');
    }
  };
  const warm = Math.floor(packets.length / 5);
  run(0, warm);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(warm, packets.length);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const legSeconds = ((packets.length - warm) * LEGS) / 50;
  for (const r of receivers) await r.close();
  // The decoder alone, one leg, the same payloads.
  const dec = await createLegDecoder(media, counters);
  const out = new Int16Array(6000);
  for (const p of pl.slice(0, warm)) dec.decode(p, 0, p.length, out);
  const d0 = performance.now();
  const reps = Math.max(1, Math.round(2000 / pl.length));
  for (let r = 0; r < reps; r++) for (const p of pl) dec.decode(p, 0, p.length, out);
  const decMs = performance.now() - d0;
  dec.free();
  return {
    codec,
    rate: receivers[0].sampleRate,
    msCpuPerLegSecond: Number(((cpu.user + cpu.system) / 1000 / legSeconds).toFixed(3)),
    msWallPerLegSecond: Number((wallMs / legSeconds).toFixed(3)),
    decoderOnlyMsPerLegSecond: Number((decMs / ((reps * pl.length) / 50)).toFixed(3)),
    badPayloads: counters['codec.badPayload'],
    lost: counters['rtp.lost'],
    samples,
  };
}

await loadCodecs();
const rows = [];
for (const codec of ['PCMU', 'G722', 'OPUS', 'AMR-WB', 'AMR'] as AudioCodec[]) rows.push(await bench(codec));
const wb = rows.find((r) => r.codec === 'AMR-WB')!;
console.log(JSON.stringify({ legs: LEGS, secondsPerLeg: SECONDS, node: process.version, rows }, null, 2));
console.log(
  `500 AMR-WB calls (1000 legs): ${(wb.msCpuPerLegSecond * 1000).toFixed(0)} ms of CPU per second for RTP + ` +
    `decode = ${((wb.msCpuPerLegSecond * 1000) / 10).toFixed(0)}% of one core`,
);
