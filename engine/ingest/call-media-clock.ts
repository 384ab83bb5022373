import { performance } from 'node:perf_hooks';

/**
 * Longest lead one leg's media may have over another's and still be made up with silence (samples at 8 kHz): one
 * second, which the smallest audio ring (2 s) always has room for, and beyond which the actor's lockstep slack lets
 * the leading leg run on anyway.
 */
export const MAX_START_PADDING_SAMPLES = 8000;
/**
 * Leads shorter than this are not padded: the clock reads when a packet is handled, not when it arrived, so a busy
 * main thread can make simultaneous legs look tens of milliseconds apart, and windows pair across legs only to within
 * a quarter of a window (0.5 s) anyway.
 */
export const MIN_START_PADDING_SAMPLES = 800;
/** Padding is whole packets. */
const PACKET_SAMPLES = 160;

/**
 * Shared by the legs of one recorded call: when its first RTP packet arrived. The actor lines the legs up by their
 * audio (window n of each leg is taken as simultaneous), so a leg whose media starts later than the others' must
 * begin with the silence it missed, or every cue that compares the two voices (overlap, who dominates) would compare
 * different moments. Any packet counts as the start, comfort noise included: the jitter buffer fills the time from
 * there to the first audio from the RTP timestamps.
 */
export class CallMediaClock {
  private epochMs = -1;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Called once per leg at its first accepted packet: samples of silence to write before its audio (0 for the first).
   */
  startPadding(): number {
    const t = this.now();
    if (this.epochMs < 0) {
      this.epochMs = t;
      return 0;
    }
    const lead = Math.floor(((t - this.epochMs) * 8) / PACKET_SAMPLES) * PACKET_SAMPLES;
    return lead < MIN_START_PADDING_SAMPLES ? 0 : Math.min(MAX_START_PADDING_SAMPLES, lead);
  }
}
