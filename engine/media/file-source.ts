import type { CallHandle } from '../supervisor.js';
import type { WavAudio } from './wav-reader.js';

/**
 * Feed a decoded file into a call's legs in interleaved blocks, waiting for the actor to make room rather than
 * overrunning: the same rings and actor path a live call takes, only faster than real time.
 */
export async function streamFileIntoCall(call: CallHandle, audio: WavAudio, blockSeconds = 0.25): Promise<void> {
  const block = Math.max(1, Math.round(audio.sampleRate * blockSeconds));
  const total = audio.channels[0].length;
  for (let off = 0; off < total; off += block) {
    const end = Math.min(total, off + block);
    for (let leg = 0; leg < audio.channels.length; leg++)
      await call.writeAll(leg, audio.channels[leg].subarray(off, end));
  }
}
