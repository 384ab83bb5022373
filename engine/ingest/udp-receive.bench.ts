import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { RingBuffer } from 'ringbuf.js';
import { linearToUlaw } from '../../actors/dsp/g711.js';
import { createCounters } from './ingest-counters.js';
import { writeRtpPacket } from './rtp-packet.js';
import { RtpReceiver } from './rtp-receiver.js';

/**
 * RTP receive over real loopback sockets, per packet, with the kernel and node:dgram included (rtp.bench leaves them
 * out). LEGS sockets each get one 172-byte G.711 packet every 20 ms from a sender in this process; a child process
 * receives them, and its own CPU (user + system, process.cpuUsage) is divided by the packets it got. Two receivers in
 * one run:
 *  - reference: node:dgram with a handler that only counts (the floor any Node.js receiver pays);
 *  - callguard: the engine's RtpReceiver per socket (parse, SSRC lock, jitter buffer, G.711 decode) writing into a
 *    ringbuf.js ring per leg, as the engine's main thread does; the rings are drained every 100 ms (what the actors
 *    do).
 * Run: npm run bench:udp   (LEGS=1000 is 500 two-leg calls; SECONDS per receiver)
 */
const LEGS = Number(process.env.LEGS ?? 1000);
const SECONDS = Number(process.env.SECONDS ?? 12);
const BASE_PORT = Number(process.env.BASE_PORT ?? 41000);
const WARM_SECONDS = 3;

type Variant = 'reference' | 'callguard';

interface ReceiverReport {
  variant: Variant;
  packets: number;
  /** callguard only: what its jitter buffers made of the stream (all 0 when the packets came in order). */
  lost?: number;
  late?: number;
  duplicate?: number;
  seconds: number;
  userUs: number;
  systemUs: number;
}

/** Child side: bind the sockets, tell the parent, measure after the warm-up, report and exit. */
function receive(variant: Variant): void {
  const counters = createCounters();
  let got = 0;
  const rings: RingBuffer[] = [];
  const drain = new Int16Array(8000);
  let bound = 0;
  for (let i = 0; i < LEGS; i++) {
    const socket = dgram.createSocket('udp4');
    if (variant === 'reference') socket.on('message', () => void got++);
    else {
      const ring = new RingBuffer(RingBuffer.getStorageForCapacity(8000 * 4, Int16Array), Int16Array);
      rings.push(ring);
      const rx = new RtpReceiver({
        socket,
        localPort: BASE_PORT + i,
        media: {
          payloadType: 0,
          codec: 'PCMU',
          skipPayloadTypes: [13, 101],
          expectedAddress: '127.0.0.1',
          onHold: false,
        },
        sink: { write: (pcm, offset, length) => void ring.push(pcm, length, offset) },
        counters,
        isAllowedSource: () => false,
        jitterDepth: 3,
      });
      void rx;
    }
    socket.bind(BASE_PORT + i, '127.0.0.1', () => {
      if (++bound === LEGS) process.send!({ ready: true });
    });
  }
  if (variant === 'callguard') setInterval(() => rings.forEach((r) => r.pop(drain)), 100);
  setTimeout(() => {
    const start = process.cpuUsage();
    const got0 = variant === 'reference' ? got : counters['rtp.received'];
    const t0 = Date.now();
    setTimeout(
      () => {
        const cpu = process.cpuUsage(start);
        const packets = (variant === 'reference' ? got : counters['rtp.received']) - got0;
        const report: ReceiverReport = {
          variant,
          packets,
          seconds: (Date.now() - t0) / 1000,
          userUs: cpu.user,
          systemUs: cpu.system,
        };
        if (variant === 'callguard')
          Object.assign(report, {
            lost: counters['rtp.lost'],
            late: counters['rtp.late'],
            duplicate: counters['rtp.duplicate'],
          });
        process.send!(report, () => process.exit(0));
      },
      (SECONDS - WARM_SECONDS) * 1000,
    );
  }, WARM_SECONDS * 1000);
}

/** Parent side: one receiver child at a time, paced by this process. */
async function measure(variant: Variant): Promise<ReceiverReport & { sent: number }> {
  const child = fork(fileURLToPath(import.meta.url), [variant], { stdio: 'inherit' });
  await new Promise<void>((res, rej) => {
    child.once('message', () => res());
    child.once('exit', (c) => rej(new Error(`${variant} receiver exited (${c}) before binding`)));
  });
  const socket = dgram.createSocket('udp4');
  const payload = Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(Math.round(8000 * Math.sin((i * 2 * Math.PI * 300) / 8000))),
  );
  let k = 0;
  let sent = 0;
  const t0 = Date.now();
  // Pacing from the wall clock, so a late timer sends the packets it owes (as an SBC's media would arrive).
  const timer = setInterval(() => {
    const due = Math.floor((Date.now() - t0) / 20);
    for (; k <= due; k++) {
      for (let i = 0; i < LEGS; i++) {
        // A fresh buffer per datagram: send() keeps a view of it until the packet is out (after a nextTick), so a
        // buffer reused within one catch-up burst would put the last sequence number on every packet of the burst.
        const packet = Buffer.allocUnsafe(172);
        writeRtpPacket(packet, 0, k & 0xffff, (k * 160) >>> 0, 0x10000 + i, payload);
        socket.send(packet, 0, 172, BASE_PORT + i, '127.0.0.1');
        sent++;
      }
    }
  }, 5);
  const report = await new Promise<ReceiverReport>((res, rej) => {
    child.once('message', (m) => res(m as ReceiverReport));
    child.once('exit', (c) => rej(new Error(`${variant} receiver exited (${c}) without a report`)));
  });
  clearInterval(timer);
  socket.close();
  return { ...report, sent };
}

async function main(): Promise<void> {
  const rows = [];
  for (const v of ['reference', 'callguard'] as const) rows.push(await measure(v));
  const expected = LEGS * 50 * (SECONDS - WARM_SECONDS);
  const label = { reference: 'node:dgram, count only (reference)', callguard: 'callguard RtpReceiver -> ring' };
  console.log(
    `UDP receive on loopback: ${LEGS} sockets x 50 packets/s (${LEGS / 2} two-leg ` +
      `calls), ${SECONDS - WARM_SECONDS} s measured per receiver; node ${process.version}`,
  );
  const out: Record<string, number> = {};
  for (const r of rows) {
    const us = (r.userUs + r.systemUs) / r.packets;
    out[`${r.variant}UsPerPacket`] = Math.round(us * 100) / 100;
    out[`${r.variant}CoreAt${LEGS}Legs`] = Math.round(((us * LEGS * 50) / 1e6) * 1000) / 1000;
    console.log(
      `${label[r.variant].padEnd(40)} ${us.toFixed(2).padStart(6)} µs/packet ` +
        `(user ${(r.userUs / r.packets).toFixed(2)}, system ${(r.systemUs / r.packets).toFixed(2)})  ` +
        `${((100 * us * LEGS * 50) / 1e6).toFixed(1)} % of a core for ${LEGS} legs; received ${r.packets} of ` +
        `~${expected}`,
    );
    // Out-of-order or lost packets would make the receiver do different (cheaper or dearer) work than a clean stream.
    if (r.lost || r.late || r.duplicate)
      console.log(
        `  WARNING: the receiver's jitter buffers saw ${r.lost} lost, ${r.late} late, ${r.duplicate} duplicate packets`,
      );
  }
  const ours = out.callguardUsPerPacket - out.referenceUsPerPacket;
  console.log(`callguard's own work on top of node:dgram: ${ours.toFixed(2)} µs/packet`);
  console.log(
    JSON.stringify({
      bench: 'udp-receive',
      legs: LEGS,
      measuredSeconds: SECONDS - WARM_SECONDS,
      ...out,
      callguardOwnUsPerPacket: Math.round(ours * 100) / 100,
    }),
  );
}

const role = process.argv[2];
if (role === 'reference' || role === 'callguard') receive(role);
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
