import { ROW, type FrontEndGeometry } from '../../actors/features/front-end-config.js';
import { DB_TO_LN_POWER, DBFS_FLOOR, F0_REF_HZ, LOG_MEL_FLOOR } from '../runtime/window-features.js';
import type { ClipRows } from './dataset.js';

/** One speaker's voice as the normalisation removes it: the mean level-free log-mel shape and the mean pitch. */
export interface SpeakerProfile {
  /** Per mel band: mean over VAD-active frames of (log-mel − frame level), natural-log power units. */
  bandShape: Float64Array;
  /** Mean F0 of voiced frames, semitones re 100 Hz (0 when none). */
  f0MeanSt: number;
  frames: number;
}

/** A speaker's profile from feature rows (the clean renditions of their clips). */
export function speakerProfile(
  copies: readonly { rows: Float32Array; frames: number }[],
  g: FrontEndGeometry,
): SpeakerProfile {
  const B = g.cfg.melBands;
  const shape = new Float64Array(B);
  let n = 0;
  let st = 0;
  let voiced = 0;
  for (const c of copies) {
    for (let i = 0; i < c.frames; i++) {
      const o = i * g.rowStride;
      const f0 = c.rows[o + ROW.f0];
      if (f0 > 0) {
        st += 12 * Math.log2(f0 / F0_REF_HZ);
        voiced++;
      }
      if (!(c.rows[o + ROW.vad] > 0)) continue;
      // Floors as the runtime applies them, so the shape is that of the values the model reads.
      const level = Math.max(DBFS_FLOOR, c.rows[o + ROW.dbfs]) * DB_TO_LN_POWER;
      for (let m = 0; m < B; m++) shape[m] += Math.max(LOG_MEL_FLOOR, c.rows[o + g.melOffset + m]) - level;
      n++;
    }
  }
  if (n > 0) for (let m = 0; m < B; m++) shape[m] /= n;
  return { bandShape: shape, f0MeanSt: voiced > 0 ? st / voiced : 0, frames: n };
}

/**
 * Per-speaker normalisation, in place (an experiment of issue 18, not a runtime feature): each clip's rows, every
 * rendition, lose their speaker's mean log-mel shape (what is left after the window's level normalisation is the
 * deviation from the talker's usual spectrum) and have F0 scaled so the speaker's mean pitch sits at 100 Hz. The
 * profile comes from the speaker's clean renditions of all their clips: for a held-out speaker that is an oracle a
 * live call can only approach with a running mean over the call so far. Returns the profiles by speaker key.
 */
export function normaliseBySpeaker(rows: ClipRows[], g: FrontEndGeometry): Map<string, SpeakerProfile> {
  const bySpeaker = new Map<string, ClipRows[]>();
  for (const r of rows) {
    const k = `${r.clip.corpus}:${r.clip.speaker}`;
    const list = bySpeaker.get(k);
    if (list) list.push(r);
    else bySpeaker.set(k, [r]);
  }
  const profiles = new Map<string, SpeakerProfile>();
  for (const [k, clips] of bySpeaker) {
    const p = speakerProfile(
      clips.map((c) => c.copies[0]),
      g,
    );
    profiles.set(k, p);
    const f0Scale = Math.pow(2, -p.f0MeanSt / 12);
    for (const c of clips)
      for (const copy of c.copies)
        for (let i = 0; i < copy.frames; i++) {
          const o = i * g.rowStride;
          for (let m = 0; m < g.cfg.melBands; m++) copy.rows[o + g.melOffset + m] -= p.bandShape[m];
          if (copy.rows[o + ROW.f0] > 0) copy.rows[o + ROW.f0] *= f0Scale;
        }
  }
  return profiles;
}
