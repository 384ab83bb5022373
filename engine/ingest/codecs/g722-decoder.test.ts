import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ffmpeg, pcm16 } from '../../../test/support/ffmpeg.js';
import { emodbDir } from '../../../test/support/repo-paths.js';
import { G722Decoder } from './g722-decoder.js';

// Emo-DB speech, encoded by ffmpeg's G.722 encoder; ffmpeg's own decoder gives the reference output.
const clip = join(emodbDir, '03a01Fa.wav');
const g722 = ffmpeg(['-i', clip, '-ar', '16000', '-c:a', 'g722', '-f', 'g722', '-']);
const reference = pcm16(ffmpeg(['-f', 'g722', '-i', '-', '-f', 's16le', '-'], g722));

function snrDb(ref: Int16Array, got: Int16Array): number {
  let sig = 0;
  let err = 0;
  for (let i = 0; i < ref.length; i++) {
    sig += ref[i] * ref[i];
    err += (ref[i] - got[i]) ** 2;
  }
  return err === 0 ? Infinity : 10 * Math.log10(sig / err);
}

test('decodes what ffmpeg encoded to what ffmpeg decodes (64 kbit/s, 16 kHz)', () => {
  assert.ok(g722.length > 8000, 'a clip of more than half a second');
  const dec = new G722Decoder();
  const out = new Int16Array(g722.length * 2);
  assert.is(dec.decode(g722, 0, g722.length, out, 0), 2 * g722.length);
  assert.is(reference.length, out.length);
  let worst = 0;
  for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - reference[i]));
  // Same algorithm, same fixed-point arithmetic: at most one LSB apart anywhere.
  assert.ok(worst <= 1, `largest difference ${worst} LSB`);
  assert.ok(snrDb(reference, out) > 60, 'SNR against the reference');
});

test('packet by packet (160 octets, 20 ms) gives the same samples as one call', () => {
  const whole = new Int16Array(g722.length * 2);
  new G722Decoder().decode(g722, 0, g722.length, whole, 0);
  const dec = new G722Decoder();
  const pkt = new Int16Array(320);
  for (let off = 0; off + 160 <= g722.length; off += 160) {
    assert.is(dec.decode(g722, off, 160, pkt, 0), 320);
    for (let i = 0; i < 320; i++)
      if (pkt[i] !== whole[2 * off + i]) assert.unreachable(`sample ${2 * off + i} differs`);
  }
});

test('any octets decode without throwing and stay in range (no invalid G.722 input exists)', () => {
  const dec = new G722Decoder();
  const junk = new Uint8Array(4000);
  let seed = 7;
  for (let i = 0; i < junk.length; i++) junk[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  junk.fill(0xff, 1000, 2000);
  const out = new Int16Array(8000);
  assert.is(dec.decode(junk, 0, junk.length, out, 0), 8000);
  // After garbage, real speech decodes to speech again: the adaptive state recovers.
  dec.reset();
  const again = new Int16Array(g722.length * 2);
  dec.decode(g722, 0, g722.length, again, 0);
  assert.ok(snrDb(reference, again) > 60);
});

test.run();
