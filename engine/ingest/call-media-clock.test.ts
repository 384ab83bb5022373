import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallMediaClock, MAX_START_PADDING_SAMPLES, MIN_START_PADDING_SAMPLES } from './call-media-clock.js';
import { createCounters } from './ingest-counters.js';
import { writeRtpPacket } from './rtp-packet.js';
import { RtpReceiver } from './rtp-receiver.js';

/** A receiver whose sink records what it is given, as runs of [zeros, audio] samples. */
function leg(clock: CallMediaClock, counters = createCounters()) {
  const runs: Array<['silence' | 'audio', number]> = [];
  const sink = {
    write(pcm: Int16Array, offset: number, length: number) {
      const kind = pcm.subarray(offset, offset + length).some((v) => v !== 0) ? 'audio' : 'silence';
      const last = runs[runs.length - 1];
      if (last && last[0] === kind) last[1] += length;
      else runs.push([kind, length]);
    },
  };
  const rx = new RtpReceiver({
    socket: null,
    localPort: 20000,
    media: { payloadType: 0, codec: 'PCMU', skipPayloadTypes: [13], expectedAddress: '10.0.0.1', onHold: false },
    sink,
    counters,
    isAllowedSource: () => false,
    jitterDepth: 0,
    clock,
  });
  const buf = new Uint8Array(12 + 160);
  let seq = 100;
  const send = (packets: number, payloadType = 0) => {
    for (let i = 0; i < packets; i++, seq++) {
      // µ-law 0x20 decodes to a loud non-zero sample, so audio and inserted silence are told apart.
      const n = writeRtpPacket(
        buf,
        payloadType,
        seq,
        seq * 160,
        0x1234,
        new Uint8Array(payloadType === 0 ? 160 : 1).fill(0x20),
      );
      rx.handle(buf, n, '10.0.0.1');
    }
  };
  return { runs, send, rx, counters };
}

test('a leg whose media starts 500 ms after the other begins with 500 ms of silence; the first leg gets none', () => {
  let now = 1000;
  const clock = new CallMediaClock(() => now);
  const counters = createCounters();
  const a = leg(clock, counters);
  const b = leg(clock, counters);
  a.send(25);
  now += 500;
  b.send(25);
  a.rx.close();
  b.rx.close();
  assert.equal(a.runs, [['audio', 25 * 160]]);
  assert.equal(b.runs, [
    ['silence', 4000],
    ['audio', 25 * 160],
  ]);
  assert.is(counters['rtp.lateStart'], 1);
});

const aStartUnderTheTitle =
  'a start under the minimum lead (handling jitter) is not padded, and a very late leg is padded at most the cap';
test(aStartUnderTheTitle, () => {
  let now = 0;
  const clock = new CallMediaClock(() => now);
  const a = leg(clock);
  const b = leg(clock);
  const c = leg(clock);
  a.send(1);
  now = (MIN_START_PADDING_SAMPLES / 8) * 0.9;
  b.send(1);
  now = 60000;
  c.send(1);
  for (const l of [a, b, c]) l.rx.close();
  assert.equal(b.runs, [['audio', 160]]);
  assert.equal(c.runs, [
    ['silence', MAX_START_PADDING_SAMPLES],
    ['audio', 160],
  ]);
});

const aLegThatOpensTitle =
  'a leg that opens with comfort noise: the clock starts at its first packet, the jitter buffer fills the rest';
test(aLegThatOpensTitle, () => {
  let now = 0;
  const clock = new CallMediaClock(() => now);
  const a = leg(clock);
  const b = leg(clock);
  // Both legs start together; B sends comfort noise (PT 13) for its first 500 ms, then speaks.
  a.send(25);
  b.send(1, 13);
  b.send(24, 13);
  now = 500;
  b.send(25);
  a.send(25);
  a.rx.close();
  b.rx.close();
  assert.equal(a.runs, [['audio', 50 * 160]]);
  assert.equal(b.runs, [
    ['silence', 25 * 160],
    ['audio', 25 * 160],
  ]);
});

test.run();
