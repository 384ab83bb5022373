import { performance } from 'node:perf_hooks';

/** Longest lead one leg's media may have over another's and still be made up with silence (samples at 8 kHz). */
export const MAX_START_PADDING_SAMPLES = 8000 * 2;
/** Padding is whole packets: arrival times jitter by a few milliseconds, which is not worth filling. */
const PACKET_SAMPLES = 160;

/**
 * Shared by the legs of one recorded call: when its first RTP packet arrived. The actor lines the legs up by their
 * audio (window n of each leg is taken as simultaneous), so a leg whose media starts later than the others' must
 * begin with the silence it missed, or every cue that compares the two voices (overlap, who dominates) would compare
 * different moments. The lead made up is capped by MAX_START_PADDING_SAMPLES: the audio rings hold a few seconds, and
 * a leg that is later still is left to the actor's lockstep slack.
 */
export class CallMediaClock {
  private epochMs = -1;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Called once per leg at its first accepted packet: samples of silence to write before its audio (0 for the first). */
  startPadding(): number {
    const t = this.now();
    if (this.epochMs < 0) {
      this.epochMs = t;
      return 0;
    }
    const lead = Math.floor(((t - this.epochMs) * 8) / PACKET_SAMPLES) * PACKET_SAMPLES;
    return Math.max(0, Math.min(MAX_START_PADDING_SAMPLES, lead));
  }
}
