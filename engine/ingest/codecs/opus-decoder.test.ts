import { join } from 'node:path';
import { OpusDecoder } from 'opus-decoder';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ffmpeg, ffmpegEncoders, pcm16 } from '../../../test/support/ffmpeg.js';
import { OPUS_OGG_ARGS, oggPackets } from '../../../test/support/ogg-packets.js';
import { emodbDir } from '../../../test/support/repo-paths.js';
import { MAX_DECODED_SAMPLES } from './leg-decoder.js';
import { OpusLegDecoder } from './opus-decoder.js';

// Emo-DB speech encoded by ffmpeg's libopus (20 ms frames, as on RTP); the packets are taken out of the Ogg file.
const clip = join(emodbDir, '03a01Fa.wav');
const haveOpus = ffmpegEncoders().has('libopus');
const ogg = haveOpus ? ffmpeg(['-i', clip, ...OPUS_OGG_ARGS]) : new Uint8Array(0);
const packets = haveOpus ? oggPackets(ogg).slice(2) : []; // OpusHead, OpusTags first

test('decodes packet by packet to what the library decodes through its own API (16 kHz mono)', async () => {
  if (!haveOpus) return;
  assert.ok(packets.length > 50);
  const ours = await OpusLegDecoder.create();
  const theirs = new OpusDecoder({ sampleRate: 16000, channels: 1 });
  await theirs.ready;
  const out = new Int16Array(MAX_DECODED_SAMPLES);
  for (const [i, p] of packets.entries()) {
    const n = ours.decode(p, 0, p.length, out);
    const ref = theirs.decodeFrame(p);
    assert.is(n, ref.samplesDecoded, `packet ${i}`);
    assert.is(n, 320);
    for (let k = 0; k < n; k++) {
      const expected = Math.max(-32768, Math.min(32767, Math.round(ref.channelData[0][k] * 32768)));
      if (out[k] !== expected) assert.unreachable(`packet ${i} sample ${k}`);
    }
  }
  ours.free();
  theirs.free();
});

test('and close to what ffmpeg decodes (another decoder path: libopus at 48 kHz, resampled)', async () => {
  if (!haveOpus) return;
  const ref = pcm16(ffmpeg(['-c:a', 'libopus', '-i', '-', '-ar', '16000', '-f', 's16le', '-'], ogg));
  const dec = await OpusLegDecoder.create();
  const got = new Int16Array(packets.length * 320);
  const out = new Int16Array(MAX_DECODED_SAMPLES);
  let at = 0;
  for (const p of packets) {
    const n = dec.decode(p, 0, p.length, out);
    got.set(out.subarray(0, n), at);
    at += n;
  }
  dec.free();
  // ffmpeg drops the encoder's pre-skip (312 samples at 48 kHz) and its resampler adds a delay; RTP has no pre-skip,
  // so ours keeps it: compare at the best alignment.
  let best = -Infinity;
  let bestLag = 0;
  for (let lag = 0; lag < 400; lag++) {
    let sig = 0;
    let err = 0;
    for (let i = 0; i + lag < got.length && i < ref.length; i++) {
      sig += ref[i] ** 2;
      err += (ref[i] - got[i + lag]) ** 2;
    }
    const snr = 10 * Math.log10(sig / err);
    if (snr > best) [best, bestLag] = [snr, lag];
  }
  // Measured 18.5 dB at lag 105: libopus decoding at 16 kHz band-limits with its own filter, not ffmpeg's resampler.
  assert.ok(best > 15, `SNR ${best.toFixed(1)} dB at lag ${bestLag}`);
});

test('loss: libopus concealment fills the gap (not silence); garbage and empty payloads are rejected', async () => {
  if (!haveOpus) return;
  const dec = await OpusLegDecoder.create();
  const out = new Int16Array(MAX_DECODED_SAMPLES);
  for (const p of packets.slice(0, 40)) dec.decode(p, 0, p.length, out);
  assert.is(dec.conceal(out, 320), 320, 'one lost 20 ms packet');
  let energy = 0;
  for (let i = 0; i < 320; i++) energy += Math.abs(out[i]);
  assert.ok(energy > 0, 'concealment continues the signal');
  assert.ok(dec.conceal(out, 100000) <= MAX_DECODED_SAMPLES);
  assert.is(dec.decode(new Uint8Array(0), 0, 0, out), -1, 'empty');
  // TOC code 3 with a frame count of 0 is invalid (RFC 6716 3.2.5 R5).
  assert.is(dec.decode(Uint8Array.of(0x03, 0x00), 0, 2, out), -1, 'invalid frame count');
  assert.is(dec.decode(new Uint8Array(2000), 0, 2000, out), -1, 'larger than any packet');
  let seed = 5;
  const junk = new Uint8Array(400);
  for (let t = 0; t < 500; t++) {
    const len = 1 + (t % 300);
    for (let i = 0; i < len; i++) junk[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const n = dec.decode(junk, 0, len, out);
    assert.ok(n === -1 || (n >= 0 && n <= MAX_DECODED_SAMPLES));
  }
  const p = packets[60];
  assert.is(dec.decode(p, 0, p.length, out), 320, 'real packets still decode after garbage');
  dec.free();
  assert.is(dec.decode(p, 0, p.length, out), -1, 'not after free()');
});

test.run();
