import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALAW_TO_PCM, linearToAlaw, linearToUlaw, ULAW_TO_PCM } from './g711.js';

test('µ-law table: the ITU-T G.711 anchor values', () => {
  assert.is(ULAW_TO_PCM[0xff], 0);
  assert.is(ULAW_TO_PCM[0x7f], 0);
  assert.is(ULAW_TO_PCM[0x00], -32124);
  assert.is(ULAW_TO_PCM[0x80], 32124);
  assert.is(ULAW_TO_PCM[0xf0], 120);
});

test('A-law table: the ITU-T G.711 anchor values', () => {
  assert.is(ALAW_TO_PCM[0xd5], 8);
  assert.is(ALAW_TO_PCM[0x55], -8);
  assert.is(ALAW_TO_PCM[0xaa], 32256);
  assert.is(ALAW_TO_PCM[0x2a], -32256);
});

test('encode ∘ decode is the identity on every code word (both laws)', () => {
  for (let b = 0; b < 256; b++) {
    // µ-law has two zeros (0x7f, 0xff): both decode to 0, which encodes to 0xff.
    if (b !== 0x7f) assert.is(linearToUlaw(ULAW_TO_PCM[b]), b, `µ-law ${b}`);
    assert.is(linearToAlaw(ALAW_TO_PCM[b]), b, `A-law ${b}`);
  }
});

test('decode ∘ encode stays within one quantisation step over the whole 16-bit range', () => {
  for (let x = -32768; x < 32768; x += 7) {
    const u = ULAW_TO_PCM[linearToUlaw(x)];
    const a = ALAW_TO_PCM[linearToAlaw(x)];
    const clipped = Math.max(-32124, Math.min(32124, x));
    assert.ok(Math.abs(u - clipped) <= Math.abs(clipped) / 16 + 8, `µ-law ${x} → ${u}`);
    assert.ok(Math.abs(a - x) <= Math.abs(x) / 16 + 8, `A-law ${x} → ${a}`);
  }
});

test.run();
