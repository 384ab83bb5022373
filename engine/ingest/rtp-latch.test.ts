import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ULAW_TO_PCM } from '../../actors/dsp/g711.js';
import { createCounters } from './ingest-counters.js';
import { writeRtpPacket } from './rtp-packet.js';
import { CLOCK_SLACK_SAMPLES, RELATCH_NEW_SOURCE_MS, RELATCH_SAME_SOURCE_MS, RtpReceiver } from './rtp-receiver.js';

/**
 * A leg's receiver against a second sender that passes the source check (the allow-list admits 10.0.0.0/8 here):
 * what it may and may not move. Time is the test's own clock, so bursts and silences are exact.
 */
const LEGIT = 0x1111;
const INTRUDER = 0x2222;

function rig() {
  let now = 10_000;
  const counters = createCounters();
  // Each accepted sample is tagged by the sender's payload byte: 0x11 legitimate, 0x22 intruder, 0 inserted silence.
  const heard = { legit: 0, intruder: 0, silence: 0 };
  const sink = {
    write(pcm: Int16Array, offset: number, length: number) {
      const v = pcm[offset];
      if (v === 0) heard.silence += length;
      else if (v === ULAW_11) heard.legit += length;
      else heard.intruder += length;
    },
  };
  const rx = new RtpReceiver({
    socket: null,
    localPort: 20000,
    media: { payloadType: 0, codec: 'PCMU', skipPayloadTypes: [13], expectedAddress: '10.0.0.1', onHold: false },
    sink,
    counters,
    isAllowedSource: (a) => a.startsWith('10.'),
    jitterDepth: 0,
    now: () => now,
  });
  const buf = new Uint8Array(12 + 160);
  const stream = (address: string, port: number, ssrc: number, fill: number) => {
    let seq = 1000;
    let ts = 160_000;
    return {
      /** One packet; `tsJump` adds samples to its timestamp (and to the stream's from then on). */
      send(tsJump = 0) {
        ts = (ts + tsJump) >>> 0;
        const n = writeRtpPacket(buf, 0, seq++ & 0xffff, ts, ssrc, new Uint8Array(160).fill(fill));
        ts = (ts + 160) >>> 0;
        rx.handle(buf, n, address, port);
      },
    };
  };
  return { rx, counters, heard, stream, advance: (ms: number) => void (now += ms) };
}
// What µ-law 0x11 decodes to (the sink tells the senders apart by it).
const ULAW_11 = ULAW_TO_PCM[0x11];

const rtpLatchASecondTitle =
  'RTP latch: a second sender on another port (10 packets back to back, then one per 20 ms) never takes the leg';
test(rtpLatchASecondTitle, () => {
  const r = rig();
  const legit = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const intruder = r.stream('10.0.0.1', 4002, INTRUDER, 0x22);
  for (let i = 0; i < 50; i++) {
    legit.send();
    r.advance(20);
  }
  for (let i = 0; i < 10; i++) intruder.send();
  for (let i = 0; i < 500; i++) {
    legit.send();
    r.advance(10);
    intruder.send();
    r.advance(10);
  }
  r.rx.close();
  assert.is(r.heard.legit, 550 * 160, 'every legitimate packet was played');
  assert.is(r.heard.intruder, 0);
  assert.is(r.counters['rtp.unlatchedSource'], 510);
  assert.is(r.counters['rtp.relatch'], 0);
  assert.is(r.counters['rtp.wrongSsrc'], 0);
});

test('RTP latch: a new SSRC from the locked address and port (spoofed) cannot take the leg by a burst either', () => {
  const r = rig();
  const legit = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const spoof = r.stream('10.0.0.1', 4000, INTRUDER, 0x22);
  legit.send();
  r.advance(20);
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 12; i++) spoof.send(); // a burst longer than the packet count the rule asks for
    legit.send();
    r.advance(20);
  }
  r.rx.close();
  assert.is(r.heard.legit, 51 * 160);
  assert.is(r.heard.intruder, 0);
  assert.is(r.counters['rtp.wrongSsrc'], 600);
  assert.is(r.counters['rtp.ssrcChange'], 0);
});

const rtpLatchTheSbcTitle =
  'RTP latch: the SBC restarting its stream (new SSRC, same source) is followed once the old one has been silent';
test(rtpLatchTheSbcTitle, () => {
  const r = rig();
  const first = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const second = r.stream('10.0.0.1', 4000, INTRUDER, 0x22);
  for (let i = 0; i < 50; i++) {
    first.send();
    r.advance(20);
  }
  let refused = 0;
  for (let i = 0; i < 100; i++) {
    const before = r.counters['rtp.wrongSsrc'];
    second.send();
    refused += r.counters['rtp.wrongSsrc'] - before;
    r.advance(20);
  }
  r.rx.close();
  assert.is(r.counters['rtp.ssrcChange'], 1);
  assert.is(refused, Math.ceil(RELATCH_SAME_SOURCE_MS / 20), 'the new stream is refused for the hold time only');
  assert.is(r.heard.intruder, (100 - refused) * 160);
});

const rtpLatchMediaMovingTitle =
  'RTP latch: media moving to another port without a re-INVITE is followed after the locked stream has been silent ' +
  'for the hold';
test(rtpLatchMediaMovingTitle, () => {
  const r = rig();
  const before = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const after = r.stream('10.0.0.1', 4100, LEGIT, 0x22);
  for (let i = 0; i < 50; i++) {
    before.send();
    r.advance(20);
  }
  for (let i = 0; i < 200; i++) {
    after.send();
    r.advance(20);
  }
  r.rx.close();
  assert.is(r.counters['rtp.relatch'], 1);
  assert.is(r.counters['rtp.unlatchedSource'], RELATCH_NEW_SOURCE_MS / 20);
  assert.ok(r.heard.intruder > 0);
});

test('RTP latch: a re-INVITE moving the media unlocks at once', () => {
  const r = rig();
  const before = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const after = r.stream('10.0.0.9', 5000, INTRUDER, 0x22);
  for (let i = 0; i < 10; i++) {
    before.send();
    r.advance(20);
  }
  r.rx.updateMedia({
    payloadType: 0,
    codec: 'PCMU',
    skipPayloadTypes: [13],
    expectedAddress: '10.0.0.9',
    onHold: false,
  });
  for (let i = 0; i < 10; i++) {
    after.send();
    r.advance(20);
  }
  before.send(); // the old stream, late: refused now
  r.rx.close();
  assert.is(r.heard.intruder, 10 * 160);
  assert.is(r.counters['rtp.unlatchedSource'], 1);
});

const rtpLatchAReTitle =
  'RTP latch: a re-INVITE that moves media to another port (same address) or resumes it on a new stream: the ' +
  'announced stream takes the lock at once, a trailing packet of the old one does not take it back';
test(rtpLatchAReTitle, () => {
  const r = rig();
  const before = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const after = r.stream('10.0.0.1', 4100, INTRUDER, 0x22);
  for (let i = 0; i < 10; i++) {
    before.send();
    r.advance(20);
  }
  r.rx.updateMedia({
    payloadType: 0,
    codec: 'PCMU',
    skipPayloadTypes: [13],
    expectedAddress: '10.0.0.1',
    onHold: false,
  });
  for (let i = 0; i < 10; i++) {
    after.send();
    r.advance(20);
    if (i === 2) before.send(); // one late packet of the old stream
  }
  r.rx.close();
  assert.is(r.heard.intruder, 10 * 160, 'no packet of the announced stream was refused');
  assert.is(r.counters['rtp.unlatchedSource'], 1, 'the late old packet was refused');
  // Without a re-offer, the same move would have cost the hold (RELATCH_NEW_SOURCE_MS).
  const quiet = rig();
  const a = quiet.stream('10.0.0.1', 4000, LEGIT, 0x11);
  const b = quiet.stream('10.0.0.1', 4100, INTRUDER, 0x22);
  a.send();
  quiet.advance(20);
  b.send();
  quiet.rx.close();
  assert.is(quiet.heard.intruder, 0);
});

const rtpTimestampsPacketsJumpingTitle =
  'RTP timestamps: 50 packets jumping 5 s each add at most the clock slack of silence, and the leg stays with the ' +
  'wall clock';
test(rtpTimestampsPacketsJumpingTitle, () => {
  const r = rig();
  const legit = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  for (let i = 0; i < 200; i++) {
    legit.send();
    r.advance(20);
  }
  // The probe: the call's own stream, timestamps jumping 5 s a packet, 50 packets in about 4 s.
  for (let i = 0; i < 50; i++) {
    legit.send(40_000);
    r.advance(80);
  }
  for (let i = 0; i < 200; i++) {
    legit.send();
    r.advance(20);
  }
  r.rx.close();
  const wallSamples = (200 * 20 + 50 * 80 + 200 * 20) * 8;
  const written = r.rx.seconds * 8000;
  assert.ok(
    written <= wallSamples + CLOCK_SLACK_SAMPLES + 160,
    `leg holds ${written / 8000} s after ${wallSamples / 8000} s`,
  );
  assert.is(r.heard.legit, 450 * 160, 'no real audio was lost');
  assert.ok(r.counters['rtp.timestampJump'] >= 49, `${r.counters['rtp.timestampJump']} clamped jumps`);
});

test('RTP timestamps: ordinary loss and a comfort-noise pause still become silence of their length', () => {
  const r = rig();
  const legit = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  for (let i = 0; i < 100; i++) {
    legit.send();
    r.advance(20);
  }
  r.advance(3000); // a 3 s pause: the timestamps jump by 3 s and so does the clock
  legit.send(24_000);
  r.rx.close();
  assert.is(r.heard.silence, 24_000);
  assert.is(r.counters['rtp.timestampJump'], 0);
});

test('RTP clock: a sender pushing audio faster than real time is cut at the clock slack, counted', () => {
  const r = rig();
  const legit = r.stream('10.0.0.1', 4000, LEGIT, 0x11);
  for (let i = 0; i < 500; i++) legit.send(); // 10 s of audio at once
  r.rx.close();
  assert.is(r.heard.legit, CLOCK_SLACK_SAMPLES);
  assert.is(r.counters['rtp.aheadOfClock'], 500 - CLOCK_SLACK_SAMPLES / 160);
});

const rtpLatchOverSocketsTitle =
  'RTP latch over sockets: the source port comes from the datagram; a second socket on the allowed host is refused';
test(rtpLatchOverSocketsTitle, async () => {
  const counters = createCounters();
  let samples = 0;
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const port = socket.address().port;
  const rx = new RtpReceiver({
    socket,
    localPort: port,
    media: { payloadType: 0, codec: 'PCMU', skipPayloadTypes: [], expectedAddress: '127.0.0.1', onHold: false },
    sink: { write: (_p, _o, n) => void (samples += n) },
    counters,
    isAllowedSource: () => false,
    jitterDepth: 0,
  });
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  const pkt = Buffer.alloc(172);
  const send = (s: dgram.Socket, seq: number, ssrc: number) =>
    new Promise<void>((resolve) => {
      writeRtpPacket(pkt, 0, seq, seq * 160, ssrc, new Uint8Array(160).fill(0x11));
      s.send(pkt, port, '127.0.0.1', () => resolve());
    });
  for (let i = 0; i < 5; i++) await send(a, i, LEGIT);
  for (let i = 0; i < 15; i++) await send(b, 100 + i, INTRUDER);
  for (let i = 5; i < 10; i++) await send(a, i, LEGIT);
  const deadline = Date.now() + 2000;
  while (counters['rtp.received'] < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await rx.close();
  a.close();
  b.close();
  assert.is(samples, 10 * 160);
  assert.is(counters['rtp.unlatchedSource'], 15);
});

test.run();
