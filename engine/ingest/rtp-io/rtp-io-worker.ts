/**
 * An RTP I/O thread: owns the UDP sockets of the legs it is given, and for each packet runs the leg's RtpReceiver
 * (parse, latch, jitter buffer, decode) and writes the PCM into the call's shared ring (LegFeedWriter). The main
 * thread sends control messages only (rtp-io-protocol.ts). Counters and per-leg figures are published into shared
 * Float64 arrays every `publishMs`, so reading them costs the main thread nothing per packet.
 *
 * Crash story: if this thread dies, the host starts another and opens the same ports again with the legs' current
 * media and outputs; what is lost is what was in flight — packets in the socket buffers and jitter buffers, the
 * decoders' state — and the latch (it locks again on the next packet).
 */
import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { isIP } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { createAllowList } from '../address-allow-list.js';
import { CallMediaClock } from '../call-media-clock.js';
import { createLegDecoder, loadCodecs } from '../codecs/leg-decoder-factory.js';
import type { LegDecoder } from '../codecs/leg-decoder.js';
import { COUNTER_NAMES, createCounters } from '../ingest-counters.js';
import { LegFeedWriter, type TapSlot } from '../leg-feed.js';
import { bindOne } from '../port-pool.js';
import { RtpReceiver, type LegMedia } from '../rtp-receiver.js';
import { updateReceiverMedia } from './local-media-host.js';
import { threadCpuSeconds } from '../../../common/thread-cpu.js';
import {
  LegStatSlot,
  type FromIoThread,
  type LegRunState,
  type RtpIoWorkerData,
  type ToIoThread,
} from './rtp-io-protocol.js';

const data = workerData as RtpIoWorkerData;
const port = parentPort!;
const counters = createCounters();
const published = new Float64Array(data.counters);
const allow = createAllowList(data.allow);
if (!allow.ok) throw new Error(`rtp I/O thread: bad allow-list: ${allow.detail}`);
const allowList = allow.list;

interface Leg {
  id: number;
  callKey: string;
  socket: dgram.Socket;
  media: LegMedia;
  decoder: LegDecoder | null;
  receiver: RtpReceiver | null;
  writer: LegFeedWriter | null;
  stats: Float64Array;
  /** Figures of the leg before this thread took it over (a restart): published figures add them. */
  base: Float64Array;
}

const legs = new Map<number, Leg>();
const clocks = new Map<string, { clock: CallMediaClock; legs: number }>();
const DROP = { write: () => {} };

function send(msg: FromIoThread): void {
  port.postMessage(msg);
}

function publishCounters(): void {
  for (let i = 0; i < COUNTER_NAMES.length; i++) published[i] = counters[COUNTER_NAMES[i]];
}

function publish(): void {
  publishCounters();
  // The thread's busy time (event loop not waiting for I/O), ms since it started: its CPU cost, seen from outside.
  published[COUNTER_NAMES.length] = performance.eventLoopUtilization().active;
  // Its real CPU (busy time is wall clock and overstates when the box is starved).
  published[COUNTER_NAMES.length + 1] = threadCpuSeconds() ?? NaN;
  for (const l of legs.values()) publishLeg(l);
}

function publishLeg(l: Leg): void {
  const r = l.receiver;
  if (!r) return;
  l.stats[LegStatSlot.packetsReceived] = l.base[LegStatSlot.packetsReceived] + r.packetsReceived;
  l.stats[LegStatSlot.packetsLost] = l.base[LegStatSlot.packetsLost] + r.packetsLost;
  l.stats[LegStatSlot.packetsLate] = l.base[LegStatSlot.packetsLate] + r.packetsLate;
  l.stats[LegStatSlot.samplesWritten] = l.base[LegStatSlot.samplesWritten] + r.samplesWritten;
}

async function bindRetrying(host: string, p: number, retries: number): Promise<dgram.Socket> {
  const type = isIP(host) === 6 ? 'udp6' : 'udp4';
  for (let i = 0; ; i++) {
    try {
      return await bindOne(type, host, p, data.recvBufferSize);
    } catch (err) {
      // A restored leg's port may still be held for a moment by the socket of the thread that died.
      if (i >= retries || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function open(m: Extract<ToIoThread, { type: 'open' }>): Promise<void> {
  let socket: dgram.Socket;
  try {
    socket = await bindRetrying(m.host, m.port, m.run ? 40 : 0);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return send({ type: 'opened', id: m.id, ok: false, code: e.code ?? 'ERROR', detail: String(e.code ?? e.message) });
  }
  let decoder: LegDecoder;
  try {
    decoder = await createLegDecoder(m.media, counters);
  } catch (err) {
    socket.close();
    return send({ type: 'opened', id: m.id, ok: false, code: 'DECODER', detail: `decoder: ${(err as Error).message}` });
  }
  const stats = new Float64Array(m.stats);
  const leg: Leg = {
    id: m.id,
    callKey: m.callKey,
    socket,
    media: m.media,
    decoder,
    receiver: null,
    writer: null,
    stats,
    base: m.run ? stats.slice() : new Float64Array(stats.length),
  };
  legs.set(m.id, leg);
  const c = clocks.get(m.callKey);
  if (c) c.legs++;
  else clocks.set(m.callKey, { clock: new CallMediaClock(), legs: 1 });
  if (m.run) start(leg, m.run);
  send({ type: 'opened', id: m.id, ok: true, sampleRate: decoder.sampleRate });
}

function start(leg: Leg, run: LegRunState): void {
  if (leg.receiver || !leg.decoder) return;
  leg.writer = run.output ? new LegFeedWriter(run.output) : null;
  for (const [slot, ring] of Object.entries(run.taps)) leg.writer?.setTap(slot as TapSlot, ring);
  leg.receiver = new RtpReceiver({
    clock: clocks.get(leg.callKey)?.clock,
    socket: leg.socket,
    localPort: leg.socket.address().port,
    media: leg.media,
    decoder: leg.decoder,
    sink: leg.writer ?? DROP,
    counters,
    isAllowedSource: (a) => allowList.allows(a),
    jitterDepth: data.jitterDepth,
  });
  leg.decoder = null; // the receiver owns it now
}

async function close(id: number): Promise<void> {
  const leg = legs.get(id);
  if (!leg) return send({ type: 'closed', id });
  legs.delete(id);
  if (leg.receiver) {
    await leg.receiver.close();
    publishLeg(leg);
  } else {
    leg.decoder?.free();
    await new Promise<void>((r) => leg.socket.close(() => r()));
  }
  const c = clocks.get(leg.callKey);
  if (c && --c.legs === 0) clocks.delete(leg.callKey);
  publishCounters();
  send({ type: 'closed', id });
}

port.on('message', (m: ToIoThread) => {
  switch (m.type) {
    case 'open':
      void open(m);
      break;
    case 'start': {
      const leg = legs.get(m.id);
      if (leg) start(leg, m.run);
      break;
    }
    case 'tap':
      legs.get(m.id)?.writer?.setTap(m.slot, m.ring);
      break;
    case 'update': {
      const leg = legs.get(m.id);
      if (!leg?.receiver) {
        send({ type: 'updated', id: m.id, seq: m.seq, onHold: true });
        break;
      }
      const r = leg.receiver;
      void updateReceiverMedia(r, m.media, counters).then(() =>
        send({ type: 'updated', id: m.id, seq: m.seq, onHold: r.onHold }),
      );
      break;
    }
    case 'close':
      void close(m.id);
      break;
    case 'crash':
      setImmediate(() => {
        throw new Error('rtp I/O thread crash requested (test hook)');
      });
      break;
  }
});

setInterval(publish, data.publishMs);
await loadCodecs();
send({ type: 'ready' });
