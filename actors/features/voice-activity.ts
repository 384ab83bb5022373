/**
 * Frame voice-activity decision: level above an adaptive noise floor (falls at once to quieter frames, creeps up
 * slowly under sustained sound) and above an absolute gate, with a hangover so word-internal dips stay speech.
 * State is two numbers the caller keeps (in shared memory), so the decision streams across any chunking.
 */
export const VAD_INITIAL_FLOOR = -60;
const FLOOR_RISE = 0.002;
const FLOOR_MIN = -100;
const MARGIN_DB = 10;
const ABSOLUTE_GATE_DB = -55;
const HANGOVER_FRAMES = 8;

/** Update `state[floorAt]` and `state[hangAt]` with one frame level; returns 1 for speech, 0 otherwise. */
export function voiceActivity(dbfs: number, state: Float64Array, floorAt: number, hangAt: number): number {
  let floor = state[floorAt];
  floor = dbfs < floor ? dbfs : floor + FLOOR_RISE * (dbfs - floor);
  if (floor < FLOOR_MIN) floor = FLOOR_MIN;
  state[floorAt] = floor;
  const raw = dbfs > Math.max(floor + MARGIN_DB, ABSOLUTE_GATE_DB);
  if (raw) {
    state[hangAt] = HANGOVER_FRAMES;
    return 1;
  }
  if (state[hangAt] > 0) {
    state[hangAt] -= 1;
    return 1;
  }
  return 0;
}
