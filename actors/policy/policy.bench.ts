/**
 * Policy step cost: `npm run bench:policy` (`node --expose-gc dist/actors/policy/policy.bench.js [rounds]`). Replays a
 * synthetic 10-minute call (1,198 windows at the engine's 1 s hop) through policyStep many times, reusing one output
 * object (the engine's hot path), and reports ns per window and heap growth. The policy should cost next to nothing
 * beside the front-end's ~0.8 ms per leg-second (`npm run bench:features`), which scores one window a second.
 */
import {
  DEFAULT_POLICY_CONFIG,
  emptyCues,
  initPolicyState,
  POLICY_STATE_LENGTH,
  policyStep,
  type PolicyOutput,
} from './risk-policy.js';
import { AFRAID, ANGRY_URGENT, calm, syntheticCall } from './synthetic-call.js';

const windows = syntheticCall({ seed: 1, segments: [calm(300), { seconds: 300, legs: [ANGRY_URGENT, AFRAID] }] });
const st = new Float64Array(new SharedArrayBuffer(8 * POLICY_STATE_LENGTH));
const out: PolicyOutput = { accepted: false, risk: 0, threshold: 0, cues: emptyCues() };
const rounds = Number(process.argv[2] ?? 200);
let sink = 0;
const once = () => {
  initPolicyState(st, 0, DEFAULT_POLICY_CONFIG);
  for (const w of windows) sink += policyStep(st, 0, DEFAULT_POLICY_CONFIG, w, out).risk;
};
for (let i = 0; i < 20; i++) once();
globalThis.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const t0 = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) once();
const ns = Number(process.hrtime.bigint() - t0) / (rounds * windows.length);
const heap1 = process.memoryUsage().heapUsed;
console.log(
  `policyStep: ${ns.toFixed(0)} ns/window over ${rounds} x ${windows.length} windows; heap ` +
    `growth ${((heap1 - heap0) / 1024).toFixed(0)} KiB ` +
    `(${globalThis.gc ? 'gc before the run' : 'run with --expose-gc for a cleaner figure'}); ` +
    `checksum ${sink.toFixed(3)}`,
);
