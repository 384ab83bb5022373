import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer, type CallEndReason, type SiprecCallInfo } from '../engine/ingest/siprec-server.js';
import { planCalls } from './call-plan.js';
import { defaultClipLibrary, syntheticClips } from './emodb-clips.js';
import { runCalls } from './call-generator.js';
import { packetsFor } from './rtp-leg-stream.js';

/**
 * Smoke test of the generator against the SIPREC server itself (no engine): every call is seen with the right numbers
 * and codec, each leg delivers its planned seconds of audio, every call ends by BYE, nothing is lost. Correctness
 * only: pacing figures are printed, not asserted (a loaded CI box may be slow).
 */

test('20 SIPREC calls of ~8-10 s: all seen, right audio per leg, all ended, no loss', async () => {
  const lib = defaultClipLibrary();
  const plan = planCalls(lib, {
    calls: 20,
    ratePerSecond: 10,
    durationSeconds: { min: 8, max: 10 },
    scamFraction: 0.5,
    codec: 'mixed',
    seed: 7,
  });
  // The port pool hands out even ports only (RTP/RTCP pairs): 40 legs need 80 ports.
  const base = 38000 + (process.pid % 40) * 100;
  const started = new Map<string, SiprecCallInfo>();
  const ended = new Map<string, CallEndReason>();
  const samples = new Map<string, number[]>();
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: base, rtpPortMax: base + 99, transports: ['udp'] },
    {
      onCallStart(info) {
        started.set(info.callId, info);
        const counts = info.legs.map(() => 0);
        samples.set(info.callId, counts);
        return {
          sinks: info.legs.map((_, i) => ({
            write: (_p: Int16Array, _o: number, len: number) => void (counts[i] += len),
          })),
        };
      },
      onCallEnd(callId, reason) {
        ended.set(callId, reason);
      },
    },
  );
  await server.start();
  try {
    const result = await runCalls({ target: server.address(), calls: plan, maxRunSeconds: 40 });
    const s = result.summary;
    console.log(
      `  clips: ${lib.source}; send lag ` +
        `p50/p99/max ${s.rtp.sendLag.p50Ms}/${s.rtp.sendLag.p99Ms}/${s.rtp.sendLag.maxMs} ms; setup ` +
        `p50 ${s.setupMs.p50Ms} ms; max media calls ${s.maxConcurrentMedia}; generator CPU ${s.cpuPercent}%`,
    );
    assert.equal(s.failures, {}, `failures: ${JSON.stringify(s.failures)}`);
    assert.is(s.completed, 20);
    assert.is(started.size, 20, 'all calls seen');
    await waitFor(() => ended.size === 20, 5000);
    for (const call of plan) {
      const info = started.get(call.callId);
      assert.ok(info, `call ${call.index} seen`);
      assert.is(info!.legs.length, 2);
      assert.is(info!.legs[0].role, 'caller');
      assert.is(info!.legs[0].number, call.callerNumber);
      assert.is(info!.legs[1].number, call.calleeNumber);
      assert.is(info!.protectedLeg, 1, 'the callee is the protected subscriber');
      assert.is(info!.legs[0].codec, call.codec);
      assert.is(ended.get(call.callId), 'bye');
      const want = packetsFor(call.durationSeconds) * 160;
      for (const got of samples.get(call.callId)!)
        assert.ok(Math.abs(got - want) <= 320, `call ${call.index}: ${got} samples, want ${want}`);
      const r = result.calls[call.index];
      assert.equal(r.packetsSent, r.plannedPackets);
    }
    const c = server.stats().counters;
    assert.is(c['rtp.lost'] ?? 0, 0, 'no RTP loss');
    assert.is(c['rtp.badPacket'] ?? 0, 0);
    assert.is(server.activeCalls().length, 0);
  } finally {
    await server.close();
  }
});

test('a rejected call is counted, not retried for ever; an unanswered INVITE times out after 64*T1', async () => {
  const lib = syntheticClips();
  const plan = planCalls(lib, {
    calls: 2,
    ratePerSecond: 20,
    durationSeconds: { min: 2, max: 2 },
    scamFraction: 0,
    seed: 3,
  });
  const server = createSiprecServer(
    {
      host: '127.0.0.1',
      port: 0,
      rtpPortMin: 39500 + (process.pid % 50) * 4,
      rtpPortMax: 39503 + (process.pid % 50) * 4,
      transports: ['udp'],
    },
    {
      onCallStart: () => ({ reject: { status: 486, reason: 'Busy Here' } }),
      onCallEnd() {},
    },
  );
  await server.start();
  try {
    const r = await runCalls({ target: server.address(), calls: plan, maxRunSeconds: 10 });
    assert.equal(r.summary.failures, { rejected: 2 });
    assert.equal(
      r.calls.map((c) => c.inviteStatus),
      [486, 486],
    );
  } finally {
    await server.close();
  }
  // Nobody listens on the closed port: with T1 = 20 ms the INVITE is retransmitted and given up after 1.28 s.
  const silent = await runCalls({ target: server.address(), calls: plan.slice(0, 1), t1Ms: 20, maxRunSeconds: 10 });
  assert.equal(silent.summary.failures, { 'invite-timeout': 1 });
  assert.ok(silent.summary.sip.retransmissions >= 5, `retransmissions: ${silent.summary.sip.retransmissions}`);
});

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pred() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

test.run();
