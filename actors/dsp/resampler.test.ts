import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { designResampler, resample, resamplerStateLength } from './resampler.js';

function tone(rate: number, hz: number, seconds: number, amp = 0.5): Float64Array {
  return Float64Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate),
  );
}

function run(inRate: number, outRate: number, x: Float64Array, chunk: number): Float64Array {
  const d = designResampler(inRate, outRate);
  const st = new Float64Array(resamplerStateLength(d));
  const out = new Float64Array(Math.ceil((x.length * d.up) / d.down) + 2);
  let n = 0;
  for (let off = 0; off < x.length; off += chunk) n += resample(d, st, x, off, Math.min(chunk, x.length - off), out, n);
  return out.subarray(0, n);
}

/** Amplitude of `hz` in `y` by correlation (skipping the filter's start-up). */
function amplitudeAt(y: Float64Array, rate: number, hz: number): number {
  let s = 0;
  let c = 0;
  const start = 200;
  for (let i = start; i < y.length; i++) {
    s += y[i] * Math.sin((2 * Math.PI * hz * i) / rate);
    c += y[i] * Math.cos((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(s, c)) / (y.length - start);
}

const khzKhzKeepsAnTitle =
  '16 kHz → 8 kHz keeps an in-band tone (1 kHz within 0.2 dB) and removes an out-of-band one (6 kHz below -50 dB)';
test(khzKhzKeepsAnTitle, () => {
  const y = run(16000, 8000, tone(16000, 1000, 1), 4000);
  assert.is(y.length, 8000);
  const a = amplitudeAt(y, 8000, 1000);
  assert.ok(Math.abs(20 * Math.log10(a / 0.5)) < 0.2, `1 kHz gain ${a}`);
  const alias = run(16000, 8000, tone(16000, 6000, 1), 4000);
  // 6 kHz would alias to 2 kHz at 8 kHz.
  const leak = amplitudeAt(alias, 8000, 2000);
  assert.ok(20 * Math.log10(leak / 0.5) < -50, `alias leak ${20 * Math.log10(leak / 0.5)} dB`);
});

test('44.1 kHz → 8 kHz (L/M = 80/441) produces the right count and keeps a 440 Hz tone', () => {
  const y = run(44100, 8000, tone(44100, 440, 1), 1000);
  assert.ok(Math.abs(y.length - 8000) <= 1, `length ${y.length}`);
  assert.ok(Math.abs(amplitudeAt(y, 8000, 440) - 0.5) < 0.01);
});

test('output is independent of the chunking (1, 7, 160 samples and whole signal)', () => {
  const x = tone(16000, 733, 0.3);
  const whole = run(16000, 8000, x, x.length);
  for (const chunk of [1, 7, 160])
    assert.equal(Array.from(run(16000, 8000, x, chunk)), Array.from(whole), `chunk ${chunk}`);
});

test('identity rate passes samples through', () => {
  const x = tone(8000, 300, 0.01);
  assert.equal(Array.from(run(8000, 8000, x, 13)), Array.from(x));
});

test.run();
