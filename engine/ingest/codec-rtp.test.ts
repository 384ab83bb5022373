import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ffmpeg, ffmpegEncoders } from '../../test/support/ffmpeg.js';
import { oggPackets } from '../../test/support/ogg-packets.js';
import { emodbDir } from '../../test/support/repo-paths.js';
import type { AudioCodec } from './codecs/audio-codec.js';
import { AMR_NB_FRAME_BITS, AMR_WB_FRAME_BITS } from './codecs/amr-payload.js';
import { createLegDecoder, loadCodecs } from './codecs/leg-decoder-factory.js';
import { createCounters, type IngestCounters } from './ingest-counters.js';
import { writeRtpPacket } from './rtp-packet.js';
import { RtpReceiver, type LegMedia } from './rtp-receiver.js';

/**
 * Each codec's leg through the receiver (no sockets; the test's clock) with the payloads ffmpeg made from Emo-DB
 * speech, and with the bad input a network delivers: truncated and garbage payloads, an AMR ToC that claims more
 * frames than the payload holds, a wrong payload type mid-stream, AMR mode changes, lost packets. Bad input is
 * counted and the leg goes on: every later good packet is decoded, and the leg's audio keeps its length.
 */
const clip = join(emodbDir, '03a01Fa.wav');
const enc = ffmpegEncoders();
const haveAll = ['libopus', 'libvo_amrwbenc', 'libopencore_amrnb', 'g722'].every((e) => enc.has(e));

interface Stream {
  codec: AudioCodec;
  pt: number;
  /** RTP timestamp units per packet (20 ms). */
  step: number;
  rate: number;
  payloads: Uint8Array[];
  media: LegMedia;
}

/** RFC 4867 octet-aligned payload of one stored (storage-format) frame. */
function amrOctetAligned(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 1);
  out[0] = 0xf0; // CMR 15
  out[1] = frame[0] & 0x7c; // ToC: F=0, FT, Q
  out.set(frame.subarray(1), 2);
  return out;
}

function storedFrames(amr: Uint8Array, wideband: boolean): Uint8Array[] {
  const bits = wideband ? AMR_WB_FRAME_BITS : AMR_NB_FRAME_BITS;
  const frames: Uint8Array[] = [];
  for (let off = wideband ? 9 : 6; off < amr.length;) {
    const size = 1 + Math.ceil(Math.max(0, bits[(amr[off] >> 3) & 15]) / 8);
    frames.push(amr.subarray(off, off + size));
    off += size;
  }
  return frames;
}

function streams(): Stream[] {
  const media = (codec: AudioCodec, pt: number): LegMedia => ({
    payloadType: pt,
    codec,
    ...(codec === 'AMR' || codec === 'AMR-WB' ? { amr: { octetAligned: true, modeSet: null } } : {}),
    skipPayloadTypes: [13, 101],
    expectedAddress: '10.0.0.1',
    onHold: false,
  });
  const g722 = ffmpeg(['-i', clip, '-ar', '16000', '-c:a', 'g722', '-f', 'g722', '-']);
  const opus = oggPackets(
    ffmpeg([
      '-i',
      clip,
      '-ar',
      '48000',
      '-c:a',
      'libopus',
      '-application',
      'voip',
      '-frame_duration',
      '20',
      '-f',
      'ogg',
      '-',
    ]),
  ).slice(2);
  // AMR-WB alternating two modes every 10 frames: the sender adapting its rate mid-call (a mode change per packet).
  const wbHi = storedFrames(
    ffmpeg(['-i', clip, '-ar', '16000', '-c:a', 'libvo_amrwbenc', '-b:a', '23850', '-f', 'amr', '-']),
    true,
  );
  const wbLo = storedFrames(
    ffmpeg(['-i', clip, '-ar', '16000', '-c:a', 'libvo_amrwbenc', '-b:a', '8850', '-f', 'amr', '-']),
    true,
  );
  const wb = wbHi.map((f, i) => (Math.floor(i / 10) % 2 ? (wbLo[i] ?? f) : f));
  const nb = storedFrames(ffmpeg(['-i', clip, '-c:a', 'libopencore_amrnb', '-b:a', '12200', '-f', 'amr', '-']), false);
  const g722Packets: Uint8Array[] = [];
  for (let o = 0; o + 160 <= g722.length; o += 160) g722Packets.push(g722.subarray(o, o + 160));
  return [
    { codec: 'G722', pt: 9, step: 160, rate: 16000, payloads: g722Packets, media: media('G722', 9) },
    { codec: 'OPUS', pt: 111, step: 960, rate: 16000, payloads: opus, media: media('OPUS', 111) },
    { codec: 'AMR-WB', pt: 96, step: 320, rate: 16000, payloads: wb.map(amrOctetAligned), media: media('AMR-WB', 96) },
    { codec: 'AMR', pt: 97, step: 160, rate: 8000, payloads: nb.map(amrOctetAligned), media: media('AMR', 97) },
  ];
}

async function leg(s: Stream, counters: IngestCounters) {
  let now = 50_000;
  let samples = 0;
  const rx = new RtpReceiver({
    socket: null,
    localPort: 20000,
    media: s.media,
    decoder: await createLegDecoder(s.media, counters),
    sink: { write: (_pcm, _o, n) => void (samples += n) },
    counters,
    isAllowedSource: () => false,
    jitterDepth: 2,
    now: () => now,
  });
  const buf = new Uint8Array(12 + 2000);
  let seq = 100;
  let ts = 1234;
  return {
    rx,
    samples: () => samples,
    /** One packet of the stream's next 20 ms (`payload` instead of the real one; `pt` instead of the stream's). */
    send(payload: Uint8Array, pt = s.pt, step = s.step) {
      const n = writeRtpPacket(buf, pt, seq++ & 0xffff, ts, 0xabc, payload);
      ts = (ts + step) >>> 0;
      now += 20;
      rx.handle(buf, n, '10.0.0.1', 5000);
    },
    /** A packet lost on the way: its sequence number and time pass unseen. */
    lose() {
      seq++;
      ts = (ts + s.step) >>> 0;
      now += 20;
    },
  };
}

test('clean streams: every payload decodes, the leg gets 20 ms per packet at its rate, nothing counted', async () => {
  if (!haveAll)
    assert.unreachable(
      'ffmpeg lacks libopus/libvo_amrwbenc/libopencore_amrnb: apt-get install -y ffmpeg libavcodec-extra',
    );
  await loadCodecs();
  for (const s of streams()) {
    const counters = createCounters();
    const l = await leg(s, counters);
    for (const p of s.payloads) l.send(p);
    await l.rx.close();
    assert.is(l.rx.sampleRate, s.rate, s.codec);
    assert.is(l.samples(), (s.payloads.length * s.rate) / 50, `${s.codec}: samples`);
    for (const k of [
      'codec.badPayload',
      'rtp.lost',
      'rtp.badPacket',
      'rtp.unknownPayload',
      'rtp.aheadOfClock',
      'codec.concealed',
    ] as const)
      assert.is(counters[k], 0, `${s.codec}: ${k}`);
  }
});

const badInputIsCountedTitle =
  'bad input is counted and the leg survives: truncated, garbage, ToC claiming more frames, wrong PT mid-stream, loss';
test(badInputIsCountedTitle, async () => {
  if (!haveAll) assert.unreachable('ffmpeg lacks the codec encoders');
  await loadCodecs();
  let seed = 99;
  const junk = (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  for (const s of streams()) {
    const counters = createCounters();
    const l = await leg(s, counters);
    const amr = s.codec === 'AMR' || s.codec === 'AMR-WB';
    let bad = 0;
    for (const [i, p] of s.payloads.entries()) {
      if (i === 10) {
        l.send(p.subarray(0, Math.max(1, p.length >> 1))); // truncated
        // Every G.722 octet is a code: half a packet is 10 ms of audio. A one-frame Opus packet cut short is still a
        // packet to libopus (its range decoder reads zeros past the end): degraded audio, not detectable.
        if (s.codec !== 'G722' && s.codec !== 'OPUS') bad++;
      } else if (i === 20 && amr) {
        // The ToC says two frames (F=1 on the first entry), the payload holds one.
        const twice = Uint8Array.from(p);
        twice[1] |= 0x80;
        l.send(Uint8Array.of(twice[0], twice[1], twice[1] & 0x7f, ...twice.subarray(2)));
        bad++;
      } else if (i === 30 && s.codec !== 'G722') {
        // Garbage where a payload belongs (for Opus, a TOC byte that announces a code 3 packet with no frame count).
        l.send(s.codec === 'OPUS' ? Uint8Array.of(0x03) : Uint8Array.of(0xf0, 0xff, ...junk(30)));
        bad++;
      } else if (i === 40) {
        l.send(p, 18); // G.729's payload type in the middle of the stream
      } else if (i === 50 || i === 51) {
        l.lose();
        continue;
      } else {
        l.send(p);
      }
    }
    await l.rx.close();
    assert.is(counters['codec.badPayload'], bad, `${s.codec}: bad payloads`);
    assert.is(counters['rtp.unknownPayload'], 1, `${s.codec}: the wrong PT`);
    assert.is(counters['rtp.lost'], 2, `${s.codec}: two lost`);
    if (s.codec !== 'G722')
      assert.ok(counters['codec.concealed'] >= 1, `${s.codec}: the loss was concealed by the decoder`);
    // The leg's audio keeps its length: rejected, refused and lost packets are filled (concealment or silence).
    const expected = (s.payloads.length * s.rate) / 50;
    assert.is(l.samples(), expected, `${s.codec}: samples ${l.samples()} of ${expected}`);
  }
});

test('garbage of every length as each codec: counted or decoded, never thrown', async () => {
  await loadCodecs();
  let seed = 3;
  for (const s of haveAll ? streams() : []) {
    const counters = createCounters();
    const l = await leg(s, counters);
    for (let i = 0; i < 400; i++)
      l.send(Uint8Array.from({ length: 1 + (i % 200) }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    for (const p of s.payloads.slice(0, 20)) l.send(p);
    await l.rx.close();
    assert.ok(l.samples() > 0, s.codec);
    assert.is(counters['rtp.badPacket'], 0);
  }
});

test('AMR: frames outside the negotiated mode-set are counted and decoded anyway', async () => {
  if (!haveAll) assert.unreachable('ffmpeg lacks the codec encoders');
  await loadCodecs();
  const s = streams().find((x) => x.codec === 'AMR-WB')!;
  const counters = createCounters();
  const media = { ...s.media, amr: { octetAligned: true, modeSet: [0, 1, 2] } };
  const l = await leg({ ...s, media }, counters);
  for (const p of s.payloads.slice(0, 30)) l.send(p);
  await l.rx.close();
  // 10 frames at 23.85 (mode 8), 10 at 8.85 (mode 1), 10 at 23.85.
  assert.is(counters['codec.modeOutsideSet'], 20);
  assert.is(counters['codec.badPayload'], 0);
  assert.is(l.samples(), 30 * 320);
});

test('a re-INVITE changes the codec mid-call (PCMU to AMR-WB and back): the leg keeps its 8 kHz rate', async () => {
  if (!haveAll) assert.unreachable('ffmpeg lacks the codec encoders');
  await loadCodecs();
  const wb = streams().find((x) => x.codec === 'AMR-WB')!;
  const counters = createCounters();
  const pcmu: LegMedia = {
    payloadType: 0,
    codec: 'PCMU',
    skipPayloadTypes: [],
    expectedAddress: '10.0.0.1',
    onHold: false,
  };
  const l = await leg({ codec: 'PCMU', pt: 0, step: 160, rate: 8000, payloads: [], media: pcmu }, counters);
  for (let i = 0; i < 20; i++) l.send(new Uint8Array(160).fill(0x55));
  assert.ok(l.rx.needsDecoder(wb.media));
  l.rx.updateMedia(wb.media, await createLegDecoder(wb.media, counters));
  assert.is(l.rx.codec, 'AMR-WB');
  // The same SSRC goes on in the new codec: 20 ms is 320 units of AMR-WB's 16 kHz clock.
  for (const p of wb.payloads.slice(0, 50)) l.send(p, 96, 320);
  l.rx.updateMedia(pcmu);
  for (let i = 0; i < 20; i++) l.send(new Uint8Array(160).fill(0x55));
  await l.rx.close();
  assert.is(l.rx.sampleRate, 8000);
  assert.is(counters['codec.badPayload'], 0);
  assert.is(counters['rtp.lost'], 0);
  // 20 + 20 packets of PCMU and 50 AMR-WB frames brought to 8 kHz (the converter holds back at most a few samples).
  assert.ok(Math.abs(l.samples() - (40 * 160 + 50 * 160)) <= 4, `samples ${l.samples()}`);
});

test.run();
