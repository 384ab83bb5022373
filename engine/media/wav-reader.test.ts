import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emodbDir, readRepoJson } from '../../test/support/repo-paths.js';
import { linearToAlaw } from '../../actors/dsp/g711.js';
import { encodeWav, parseWav, WavError, type WavErrorCode } from './wav-reader.js';

function expectError(bytes: Uint8Array, code: WavErrorCode, pattern: RegExp): void {
  try {
    parseWav(bytes);
  } catch (err) {
    assert.instance(err, WavError);
    assert.is((err as WavError).code, code);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('Emo-DB µ-law file (fmt + fact + data chunks) decodes exactly as Python audioop does', () => {
  const fx = readRepoJson('actors/features/reference/speech-03a01Wa.json');
  const a = parseWav(readFileSync(join(emodbDir, '03a01Wa.wav')));
  assert.is(a.sampleRate, 8000);
  assert.is(a.codec, 'ulaw');
  assert.is(a.channels.length, 1);
  assert.equal(Array.from(a.channels[0]), fx.input);
  assert.is(a.durationSeconds, 2);
});

test('PCM16 stereo and A-law round-trip through encodeWav/parseWav', () => {
  const l = Int16Array.from({ length: 100 }, (_, i) => i * 300 - 15000);
  const r = Int16Array.from({ length: 100 }, (_, i) => -i);
  const s = parseWav(encodeWav([l, r], 16000, 'pcm16'));
  assert.is(s.sampleRate, 16000);
  assert.equal(Array.from(s.channels[0]), Array.from(l));
  assert.equal(Array.from(s.channels[1]), Array.from(r));
  const alaw = parseWav(encodeWav([Uint8Array.from(l, (v) => linearToAlaw(v))], 8000, 'alaw'));
  assert.is(alaw.codec, 'alaw');
  for (let i = 0; i < l.length; i++) assert.ok(Math.abs(alaw.channels[0][i] - l[i]) <= Math.abs(l[i]) / 16 + 8);
});

test('bad files give one clear error each', () => {
  const good = encodeWav([new Int16Array(800)], 8000, 'pcm16');
  expectError(new Uint8Array(0), 'CG_WAV_EMPTY', /empty/);
  expectError(new TextEncoder().encode('hello, this is not audio at all'), 'CG_WAV_NOT_WAV', /not a WAV/);
  expectError(good.subarray(0, 10), 'CG_WAV_TRUNCATED', /truncated/);
  expectError(good.subarray(0, 30), 'CG_WAV_TRUNCATED', /truncated/);
  expectError(good.subarray(0, 44 + 100), 'CG_WAV_TRUNCATED', /declares 1600 bytes but only 100/);
  expectError(good.subarray(0, 36), 'CG_WAV_NO_DATA', /no data chunk/);
  const float = good.slice();
  new DataView(float.buffer).setUint16(20, 3, true);
  new DataView(float.buffer).setUint16(34, 32, true);
  expectError(float, 'CG_WAV_UNSUPPORTED', /IEEE float/);
  const gsm = good.slice();
  new DataView(gsm.buffer).setUint16(20, 0x31, true);
  expectError(gsm, 'CG_WAV_UNSUPPORTED', /GSM 6\.10/);
  const three = good.slice();
  new DataView(three.buffer).setUint16(22, 3, true);
  expectError(three, 'CG_WAV_UNSUPPORTED', /channel count 3/);
  const rate = good.slice();
  new DataView(rate.buffer).setUint32(24, 96000, true);
  expectError(rate, 'CG_WAV_UNSUPPORTED', /96000/);
  new DataView(rate.buffer).setUint32(24, 47999, true);
  expectError(rate, 'CG_WAV_UNSUPPORTED', /47999 Hz \(supported: 8000, 11025/);
  expectError(encodeWav([new Int16Array(0)], 8000, 'pcm16'), 'CG_WAV_NO_DATA', /no audio/);
});

test('hostile chunk sizes never throw anything but WavError (seeded mutation fuzz)', () => {
  const base = readFileSync(join(emodbDir, '08a01Na.wav')).subarray(0, 400);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 3000; i++) {
    const m = Uint8Array.from(base);
    const flips = 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < flips; k++) m[Math.floor(rnd() * 80)] = Math.floor(rnd() * 256);
    const cut = rnd() < 0.3 ? m.subarray(0, Math.floor(rnd() * m.length)) : m;
    try {
      parseWav(cut);
    } catch (err) {
      if (!(err instanceof WavError)) assert.unreachable(`iteration ${i}: ${String(err)}`);
    }
  }
});

test.run();
