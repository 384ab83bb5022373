import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END, frontEndGeometry, ROW } from '../../actors/features/front-end-config.js';
import type { ClipRows } from './dataset.js';
import { normaliseBySpeaker, speakerProfile } from './speaker-norm.js';

const g = frontEndGeometry(DEFAULT_FRONT_END);

/** A clip of `frames` voiced, VAD-active frames at -20 dBFS: band m at `base + tilt * m`, F0 `f0` Hz. */
function clip(speaker: string, frames: number, tilt: number, f0: number): ClipRows {
  const rows = new Float32Array(frames * g.rowStride);
  for (let i = 0; i < frames; i++) {
    const o = i * g.rowStride;
    rows[o + ROW.dbfs] = -20;
    rows[o + ROW.vad] = 1;
    rows[o + ROW.f0] = f0 * (1 + 0.05 * Math.sin(i));
    for (let m = 0; m < g.cfg.melBands; m++) rows[o + g.melOffset + m] = -8 + tilt * m + 0.3 * Math.cos(i + m);
  }
  const copy = { rows, frames };
  return {
    clip: {
      corpus: 'emodb',
      file: `${speaker}-${tilt}.wav`,
      speaker,
      sex: 'm',
      text: '',
      emotion: 'neutral',
      label: 6,
      version: '',
      sampleRate: 8000,
    },
    copies: [copy, { rows: rows.slice(), frames }],
  } as ClipRows;
}

test('each speaker loses their own spectral shape and mean pitch; renditions move with their clean copy', () => {
  const rows = [clip('a', 50, -0.1, 120), clip('a', 40, -0.12, 130), clip('b', 60, 0.05, 220)];
  const before = speakerProfile([rows[2].copies[0]], g);
  assert.ok(before.f0MeanSt > 12, 'speaker b about an octave above 100 Hz');
  const profiles = normaliseBySpeaker(rows, g);
  assert.equal([...profiles.keys()], ['emodb:a', 'emodb:b']);
  for (const spk of ['a', 'b']) {
    const after = speakerProfile(
      rows.filter((r) => r.clip.speaker === spk).map((r) => r.copies[0]),
      g,
    );
    assert.ok(Math.abs(after.f0MeanSt) < 0.2, `${spk}: mean pitch at 100 Hz, got ${after.f0MeanSt} st`);
    for (const v of after.bandShape) assert.ok(Math.abs(v) < 1e-3, `${spk}: flat mean shape, got ${v}`);
  }
  // Within a speaker the clips still differ (clip a1 against a2 tilt), and the augmented copy got the same shift.
  const a1 = speakerProfile([rows[0].copies[0]], g).bandShape;
  assert.ok(a1[g.cfg.melBands - 1] - a1[0] > 0.1, 'the flatter clip of a is brighter than a’s mean');
  assert.equal(rows[0].copies[1].rows, rows[0].copies[0].rows);
});

test.run();
