import { performance } from 'node:perf_hooks';
import { RtpReceiver } from './rtp-receiver.js';
import { createCounters } from './ingest-counters.js';
import { writeRtpPacket } from './rtp-packet.js';
import { linearToUlaw } from '../../actors/dsp/g711.js';

/**
 * RTP hot-path benchmark: parse + SSRC/source checks + jitter buffer + G.711 decode + sink write, per packet, for
 * LEGS receivers fed round-robin (as 1,000 concurrent legs would be), with one reordered pair every 50 packets.
 * Sockets are left out: this measures our code, not the kernel. Run: node dist/engine/ingest/rtp.bench.js
 */
const LEGS = Number(process.env.LEGS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 300);

const counters = createCounters();
let sinkSamples = 0;
const sink = { write: (_p: Int16Array, _o: number, len: number) => void (sinkSamples += len) };
// The receivers bound a leg's audio by the wall clock: give them the clock the packets would have arrived by.
let clockMs = 0;
const receivers = Array.from(
  { length: LEGS },
  (_, i) =>
    new RtpReceiver({
      socket: null,
      localPort: 20000 + 2 * i,
      media: { payloadType: 0, codec: 'PCMU', skipPayloadTypes: [13, 101], expectedAddress: '10.0.0.1', onHold: false },
      sink,
      counters,
      isAllowedSource: () => false,
      jitterDepth: 3,
      now: () => clockMs,
    }),
);

// Precomputed packets: ROUNDS frames, the same for every leg (distinct SSRC per leg is irrelevant to cost).
const payload = Uint8Array.from({ length: 160 }, (_, i) =>
  linearToUlaw(Math.round(8000 * Math.sin((i * 2 * Math.PI * 440) / 8000))),
);
const packets: Buffer[] = [];
for (let k = 0; k < ROUNDS; k++) {
  const b = Buffer.alloc(172);
  writeRtpPacket(b, 0, k & 0xffff, k * 160, 0x1234, payload);
  packets.push(b);
}
const order = Array.from({ length: ROUNDS }, (_, k) => k);
for (let k = 10; k + 1 < ROUNDS; k += 50) [order[k], order[k + 1]] = [order[k + 1], order[k]];

function run(from: number, to: number): void {
  for (let r = from; r < to; r++) {
    clockMs = r * 20;
    const pkt = packets[order[r]];
    for (let l = 0; l < LEGS; l++) receivers[l].handle(pkt, 172, '10.0.0.1');
  }
}

const warm = Math.floor(ROUNDS / 5);
run(0, warm);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const t0 = performance.now();
run(warm, ROUNDS);
const ms = performance.now() - t0;
const heapAfter = process.memoryUsage().heapUsed;
const n = (ROUNDS - warm) * LEGS;
const nsPerPacket = (ms * 1e6) / n;
const legSecondUs = (nsPerPacket * 50) / 1000; // 50 packets per leg-second at 20 ms ptime
console.log(
  JSON.stringify(
    {
      legs: LEGS,
      packets: n,
      nsPerPacket: Number(nsPerPacket.toFixed(1)),
      usPerLegSecond: Number(legSecondUs.toFixed(2)),
      coreFractionFor1000LegsAt50pps: Number(((nsPerPacket * 50_000) / 1e9).toFixed(4)),
      heapGrowthBytesPerPacket: gc ? Number(((heapAfter - heapBefore) / n).toFixed(3)) : 'run with --expose-gc',
      lost: counters['rtp.lost'],
      late: counters['rtp.late'],
      samples: sinkSamples,
    },
    null,
    2,
  ),
);
