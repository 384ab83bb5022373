import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer, type CallEndReason, type SiprecCallInfo } from './siprec-server.js';
import { emodbRawUlaw, runSippSiprecCall, sippVersion } from '../../test/support/sipp-runner.js';

/**
 * Interop with a real SIP peer: sipp (sip-tester) plays the SBC. It sends a multipart SIPREC INVITE, streams a real
 * 2 s emodb clip as PCMU with rtp_stream, and hangs up. sipp 3.6.1's rtp_stream sends the file's bytes as-is (a WAV
 * header would be streamed as audio: measured 101 packets for a 2.00 s WAV), so the clip's data chunk is extracted to
 * raw mu-law first. sipp knows a single audio stream, so only the first leg carries audio.
 */
test('sipp SIPREC call with rtp_stream: call appears, 2 s of audio arrive on the caller leg, call ends', async () => {
  const version = sippVersion();
  if (!version)
    assert.unreachable('sipp is not installed: install it with `apt-get install -y sip-tester` (CI .ci/run does this)');
  assert.match(version!, /RTPSTREAM/, 'this sipp build lacks rtp_stream support');
  const clip = emodbRawUlaw('03a01Fa.wav');
  const expectedSamples = clip.length;

  const started: SiprecCallInfo[] = [];
  const ended: Array<{ callId: string; reason: CallEndReason }> = [];
  const samples = [0, 0];
  const server = createSiprecServer(
    {
      host: '127.0.0.1',
      port: 0,
      rtpPortMin: 37000 + (process.pid % 100) * 20,
      rtpPortMax: 37019 + (process.pid % 100) * 20,
    },
    {
      onCallStart(info) {
        started.push(info);
        return {
          sinks: info.legs.map((_, i) => ({
            write: (_p: Int16Array, _o: number, len: number) => void (samples[i] += len),
          })),
        };
      },
      onCallEnd(callId, reason) {
        ended.push({ callId, reason });
      },
    },
  );
  await server.start();
  try {
    const { code, output } = await runSippSiprecCall(server.address().port, clip);
    assert.is(code, 0, `sipp failed (exit ${code}):\n${output.slice(-2000)}`);
    assert.is(started.length, 1, 'the call appeared');
    assert.is(started[0].legs.length, 2);
    assert.is(started[0].legs[0].role, 'caller');
    assert.is(started[0].legs[0].number, '+33612345678');
    assert.is(started[0].legs[1].number, '+33698765432');
    assert.is(started[0].protectedLeg, 1);
    assert.equal(
      ended.map((e) => e.reason),
      ['bye'],
      'the call ended with BYE',
    );
    // +-1 packet time (160 samples at 20 ms).
    assert.ok(
      Math.abs(samples[0] - expectedSamples) <= 160,
      `caller leg got ${samples[0]} samples, expected ${expectedSamples}`,
    );
    assert.is(samples[1], 0, 'sipp streams only the first audio m-line');
    const c = server.stats().counters;
    assert.is(c['rtp.badPacket'], 0);
    assert.is(server.activeCalls().length, 0);
  } finally {
    await server.close();
  }
});

test.run();
