import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import net from 'node:net';
import {
  createSiprecServer,
  type SiprecCallInfo,
  type SiprecServer,
  type CallEndReason,
  type SiprecServerOptionsInput,
} from './siprec-server.js';
import { SipTestPeer, answerPorts, toTagOf } from './fixtures/sip-test-peer.js';
import { inDialogRequest, sdpOffer, siprecInvite } from './fixtures/siprec-invite.js';
import { writeRtpPacket } from './rtp-packet.js';
import { linearToAlaw, linearToUlaw } from '../../actors/dsp/g711.js';
import { headerValue } from './sip-message.js';
import { RingBuffer } from 'ringbuf.js';
import { createLegFeed, type LegFeedDescriptor } from './leg-feed.js';

/**
 * Records what the server hands its handler. With `feeds` it answers each call with shared leg feeds (what an RTP
 * I/O thread needs) and reads the audio back from their rings; otherwise with sink functions (RTP on this thread).
 */
class RecordingHandler {
  started: SiprecCallInfo[] = [];
  ended: Array<{ callId: string; reason: CallEndReason }> = [];
  samples = new Map<string, number[][]>();
  reject: { status: number; reason: string } | null = null;
  private readonly rings = new Map<string, LegFeedDescriptor[]>();
  constructor(private readonly feeds = false) {}
  /** The audio each leg of a call got so far. */
  legSamples(callId: string): number[][] {
    const legs = this.samples.get(callId)!;
    this.rings.get(callId)?.forEach((d, i) => {
      const ring = new RingBuffer(d.ring, Int16Array);
      const buf = new Int16Array(ring.availableRead());
      ring.pop(buf, buf.length);
      legs[i].push(...buf);
    });
    return legs;
  }
  onCallStart(info: SiprecCallInfo) {
    if (this.reject) return { reject: this.reject };
    this.started.push(info);
    const legs: number[][] = info.legs.map(() => []);
    this.samples.set(info.callId, legs);
    if (this.feeds) {
      const feeds = info.legs.map(() => ({
        ring: RingBuffer.getStorageForCapacity(8000 * 30, Int16Array),
        feed: createLegFeed(64),
      }));
      this.rings.set(info.callId, feeds);
      return { sinks: feeds };
    }
    return {
      sinks: legs.map((arr) => ({
        write: (pcm: Int16Array, off: number, len: number) => {
          for (let i = 0; i < len; i++) arr.push(pcm[off + i]);
        },
      })),
    };
  }
  onCallEnd(callId: string, reason: CallEndReason) {
    this.ended.push({ callId, reason });
  }
}

let nextRtpBase = 31000 + (process.pid % 50) * 200;
async function withServer(
  opts: Partial<SiprecServerOptionsInput>,
  fn: (s: SiprecServer, h: RecordingHandler) => Promise<void>,
): Promise<void> {
  const h = new RecordingHandler((opts.ioThreads ?? 0) > 0);
  const base = nextRtpBase;
  nextRtpBase += 40;
  const s = createSiprecServer({ host: '127.0.0.1', port: 0, rtpPortMin: base, rtpPortMax: base + 39, ...opts }, h);
  await s.start();
  try {
    await fn(s, h);
  } finally {
    await s.close();
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function tone(n: number, start: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(((start + i) * 2 * Math.PI * 440) / 8000)));
}

/** Sends RTP packets (seq order given) for 160-sample frames of a tone. */
async function sendRtp(
  sock: dgram.Socket,
  port: number,
  pt: number,
  seqs: number[],
  ssrc: number,
  encode: (s: number) => number,
  seqBase = 1000,
): Promise<void> {
  const buf = new Uint8Array(12 + 160);
  for (const k of seqs) {
    const payload = Uint8Array.from(tone(160, k * 160), encode);
    const len = writeRtpPacket(buf, pt, (seqBase + k) & 0xffff, (k * 160) >>> 0, ssrc, payload);
    await new Promise<void>((r) => sock.send(buf.subarray(0, len), port, '127.0.0.1', () => r()));
  }
}

for (const ioThreads of [0, 1]) {
  const udpSiprecCallInviteTitle =
    `UDP SIPREC call: INVITE/ACK, two legs of RTP with reordering and loss, BYE ` + `(ioThreads ${ioThreads})`;
  test(udpSiprecCallInviteTitle, async () => {
    await withServer({ ioThreads }, async (server, h) => {
      const peer = await SipTestPeer.udp();
      const rtp = dgram.createSocket('udp4');
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      try {
        const port = server.address().port;
        const p = { callId: 'call-udp-1@test', local: peer.local, target: `127.0.0.1:${port}` };
        peer.send(siprecInvite({ ...p, sdp: sdpOffer({ codecs2: '8 0 101' }) }), port);
        await peer.waitForResponse(100, 'INVITE');
        const ok = await peer.waitForResponse(200, 'INVITE');
        const ports = answerPorts(ok);
        assert.is(ports.length, 2);
        assert.match(ok.body.toString(), /a=recvonly/);
        assert.not.match(ok.body.toString(), /telephone-event/);
        const toTag = toTagOf(ok);
        assert.ok(toTag.length > 0);
        peer.send(inDialogRequest('ACK', { ...p, toTag }), port);

        const info = h.started[0];
        assert.is(info.callId, p.callId);
        assert.is(info.direction, 'incoming');
        assert.is(info.legs[0].role, 'caller');
        assert.is(info.legs[0].number, '+33612345678');
        assert.is(info.legs[1].role, 'callee');
        assert.is(info.legs[1].number, '+33698765432');
        assert.is(info.protectedLeg, 1);
        assert.is(info.legs[1].protected, true);
        assert.equal(
          info.legs.map((l) => l.localPort),
          ports,
        );
        assert.equal(
          info.legs.map((l) => l.codec),
          ['PCMU', 'PCMA'],
        );
        assert.match(ok.body.toString(), /a=rtpmap:8 PCMA\/8000/);

        // Leg 0: 50 frames, frames 10/11 swapped, frame 20 lost. Leg 1: 25 frames of PCMA (payload type 8).
        const order = Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 20);
        [order[10], order[11]] = [order[11], order[10]];
        await sendRtp(rtp, ports[0], 0, order, 0x1111, linearToUlaw);
        await sendRtp(
          rtp,
          ports[1],
          8,
          Array.from({ length: 25 }, (_, i) => i),
          0x2222,
          linearToAlaw,
        );
        await until(
          () =>
            server.activeCalls()[0]?.legs[1].packetsReceived === 25 &&
            server.activeCalls()[0]?.legs[0].packetsReceived === 49,
          'RTP arrival',
        );

        const ac = server.activeCalls()[0];
        assert.is(ac.state, 'confirmed');
        assert.is(ac.legs[0].packetsLost, 1);
        peer.send(inDialogRequest('BYE', { ...p, toTag, cseq: 2 }), port);
        await peer.waitForResponse(200, 'BYE');
        await until(() => h.ended.length === 1, 'onCallEnd');
        assert.equal(h.ended[0], { callId: p.callId, reason: 'bye' });
        // After BYE the jitter buffer was flushed: every frame accounted for, the lost one as silence.
        const [leg0, leg1] = h.legSamples(p.callId);
        assert.is(leg0.length, 50 * 160);
        assert.is(leg1.length, 25 * 160);
        assert.ok(
          leg0.slice(20 * 160, 21 * 160).every((v) => v === 0),
          'lost frame is silence',
        );
        // Reordered frames come out in order: frame 10 decodes to the tone at samples 1600..1759 (within G.711 error).
        const expect10 = tone(160, 1600);
        for (let i = 0; i < 160; i += 17) assert.ok(Math.abs(leg0[1600 + i] - expect10[i]) < 300, `sample ${i}`);
        assert.is(server.activeCalls().length, 0);
        assert.is(server.stats().counters['rtp.lost'], 1);
        assert.is(server.stats().rtpPorts.used, 0);
      } finally {
        peer.close();
        rtp.close();
      }
    });
  });
}

test('TCP: OPTIONS keep-alive and a call over a stream connection', async () => {
  await withServer({}, async (server, h) => {
    const port = server.address().port;
    const peer = await SipTestPeer.tcp(port);
    try {
      const p = {
        callId: 'call-tcp-1@test',
        local: peer.local,
        target: `127.0.0.1:${port}`,
        transport: 'TCP' as const,
      };
      peer.send(inDialogRequest('OPTIONS', { ...p, callId: 'opt-1', toTag: '' }), port);
      const opt = await peer.waitForResponse(200, 'OPTIONS');
      assert.match(headerValue(opt, 'allow') ?? '', /INVITE/);
      peer.send(siprecInvite(p), port);
      const ok = await peer.waitForResponse(200, 'INVITE');
      assert.match(headerValue(ok, 'contact') ?? '', /transport=tcp/);
      peer.send(inDialogRequest('ACK', { ...p, toTag: toTagOf(ok) }), port);
      assert.is(h.started.length, 1);
      peer.send(inDialogRequest('BYE', { ...p, toTag: toTagOf(ok), cseq: 2 }), port);
      await peer.waitForResponse(200, 'BYE');
      await until(() => h.ended.length === 1, 'onCallEnd');
    } finally {
      peer.close();
    }
  });
});

test('bad input gets the right error, is counted, and the server keeps serving', async () => {
  await withServer({}, async (server, h) => {
    const peer = await SipTestPeer.udp();
    const port = server.address().port;
    const target = `127.0.0.1:${port}`;
    try {
      // Garbage datagram: dropped and counted, no answer.
      peer.send(Buffer.from('\x00\x01garbage\r\n\r\n'), port);
      // Missing Call-ID: 400.
      const noCallId = siprecInvite({ callId: 'x', local: peer.local, target })
        .toString('latin1')
        .replace(/Call-ID: x\r\n/, '');
      peer.send(Buffer.from(noCallId, 'latin1'), port);
      await peer.waitFor((m) => m.kind === 'response' && m.status === 400 && /Call-ID/.test(m.reason), '400 Call-ID');
      // rs-metadata that does not parse: 400.
      peer.send(
        siprecInvite({ callId: 'bad-md', local: peer.local, target, metadata: '<recording><participant></recording>' }),
        port,
      );
      await peer.waitFor(
        (m) => m.kind === 'response' && m.status === 400 && /rs-metadata/.test(m.reason),
        '400 rs-metadata',
      );
      // SDP without audio: 488 with a Warning.
      const video =
        'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 40000 RTP/AVP ' +
        '96\r\na=rtpmap:96 H264/90000\r\n';
      peer.send(siprecInvite({ callId: 'no-audio', local: peer.local, target, sdp: video }), port);
      const r488 = await peer.waitFor(
        (m) => m.kind === 'response' && m.status === 488 && headerValue(m, 'call-id') === 'no-audio',
        '488',
      );
      assert.match(headerValue(r488, 'warning') ?? '', /^304 /);
      // Only G.729 offered: 488 / 305.
      peer.send(
        siprecInvite({
          callId: 'g729',
          local: peer.local,
          target,
          sdp: sdpOffer({ codecs: '18' }).replace(/a=rtpmap:(0|8|101)[^\r]*\r\n/g, ''),
        }),
        port,
      );
      const g729 = (await peer.waitFor(
        (m) => m.kind === 'response' && headerValue(m, 'call-id') === 'g729' && m.status >= 400,
        '488 g729',
      )) as import('./sip-message.js').SipResponse;
      assert.is(g729.status, 488);
      assert.match(headerValue(g729, 'warning') ?? '', /^305 /);
      // Unsupported body type: 415.
      peer.send(
        siprecInvite({
          callId: 'text',
          local: peer.local,
          target,
          rawBody: { contentType: 'text/plain', body: 'hello' },
        }),
        port,
      );
      await peer.waitFor((m) => m.kind === 'response' && m.status === 415, '415');
      // Unknown option in Require: 420.
      peer.send(siprecInvite({ callId: 'req', local: peer.local, target, extraHeaders: ['Require: 100rel'] }), port);
      await peer.waitFor((m) => m.kind === 'response' && m.status === 420, '420');
      // Oversized request: 513.
      const big = siprecInvite({
        callId: 'big',
        local: peer.local,
        target,
        extraHeaders: ['X-Pad: ' + 'a'.repeat(9000)],
      });
      await withServerLimit(peer, big);
      // BYE for an unknown dialog: 481.  Unknown method: 405.
      peer.send(inDialogRequest('BYE', { callId: 'nope', local: peer.local, target, toTag: 'zz', cseq: 2 }), port);
      await peer.waitFor((m) => m.kind === 'response' && m.status === 481, '481');
      peer.send(inDialogRequest('MESSAGE', { callId: 'msg', local: peer.local, target, toTag: '' }), port);
      await peer.waitFor((m) => m.kind === 'response' && m.status === 405, '405');
      // Handler rejection is passed through.
      h.reject = { status: 486, reason: 'Busy Here' };
      peer.send(siprecInvite({ callId: 'rejected', local: peer.local, target }), port);
      await peer.waitFor((m) => m.kind === 'response' && m.status === 486, '486');
      h.reject = null;

      const c = server.stats().counters;
      assert.ok(c['sip.malformed'] >= 2, 'malformed counted');
      assert.is(c['metadata.malformed'], 1);
      assert.is(c['sdp.rejected'], 2);
      assert.is(c['sip.badExtension'], 1);
      assert.is(c['sip.unknownDialog'], 1);
      assert.is(c['sip.methodNotAllowed'], 1);
      assert.is(server.stats().rtpPorts.used, 0, 'rejected calls hold no ports');

      // Still serving: a good call goes through, and garbage on its media port is counted and dropped.
      const p = { callId: 'good-after-bad', local: peer.local, target };
      peer.send(siprecInvite(p), port);
      const ok = await peer.waitForResponse(200, 'INVITE');
      const rtp = dgram.createSocket('udp4');
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      const media = answerPorts(ok)[0];
      for (const junk of [Buffer.from('junk'), Buffer.alloc(40, 0xff), Buffer.from([0x80, 0, 0, 1])]) {
        await new Promise<void>((r) => rtp.send(junk, media, '127.0.0.1', () => r()));
      }
      await sendRtp(rtp, media, 0, [0, 1, 2], 7, linearToUlaw);
      await until(() => server.activeCalls()[0]?.legs[0].packetsReceived === 3, 'good RTP after junk');
      rtp.close();
      assert.is(server.stats().counters['rtp.badPacket'], 3);
      assert.is(h.started.length, 1);
    } finally {
      peer.close();
    }

    async function withServerLimit(peer: SipTestPeer, big: Buffer): Promise<void> {
      // The default limit is 64 KiB; this server instance is reused, so check 513 against a dedicated small-limit one.
      await withServer({ maxMessageBytes: 4096 }, async (small) => {
        peer.send(big, small.address().port);
        await peer.waitFor((m) => m.kind === 'response' && m.status === 513, '513');
        assert.is(small.stats().counters['sip.oversize'], 1);
      });
    }
  });
});

test('allow-list: other sources get 403 over UDP and are refused over TCP', async () => {
  await withServer({ allow: ['10.0.0.0/8', '2001:db8::/32'] }, async (server, h) => {
    const peer = await SipTestPeer.udp();
    const port = server.address().port;
    try {
      peer.send(siprecInvite({ callId: 'forbidden', local: peer.local, target: `127.0.0.1:${port}` }), port);
      await peer.waitForResponse(403, 'INVITE');
      const sock = net.connect(port, '127.0.0.1');
      sock.on('error', () => {});
      await new Promise<void>((r) => sock.once('close', () => r()));
      assert.is(server.stats().counters['sip.forbidden'], 2);
      assert.is(h.started.length, 0);
    } finally {
      peer.close();
    }
  });
});

test('RTP inactivity ends the call with rtp-timeout and a BYE to the SBC', async () => {
  await withServer({ rtpTimeoutMs: 300 }, async (server, h) => {
    const peer = await SipTestPeer.udp();
    const port = server.address().port;
    try {
      const p = { callId: 'timeout-1', local: peer.local, target: `127.0.0.1:${port}` };
      peer.send(siprecInvite(p), port);
      const ok = await peer.waitForResponse(200, 'INVITE');
      peer.send(inDialogRequest('ACK', { ...p, toTag: toTagOf(ok) }), port);
      const bye = await peer.waitFor((m) => m.kind === 'request' && m.method === 'BYE', 'BYE from server');
      assert.is(headerValue(bye, 'call-id'), p.callId);
      assert.match(headerValue(bye, 'from') ?? '', new RegExp(`tag=${toTagOf(ok)}`));
      assert.equal(h.ended, [{ callId: p.callId, reason: 'rtp-timeout' }]);
      assert.is(server.stats().counters['rtp.timeout'], 1);
    } finally {
      peer.close();
    }
  });
});

for (const ioThreads of [0, 1]) {
  const reInvitePutsLegsTitle =
    `re-INVITE puts legs on hold (a=inactive); close() ends calls with shutdown ` + `(ioThreads ${ioThreads})`;
  test(reInvitePutsLegsTitle, async () => {
    await withServer({ rtpTimeoutMs: 300, ioThreads }, async (server, h) => {
      const peer = await SipTestPeer.udp();
      const port = server.address().port;
      const rtp = dgram.createSocket('udp4');
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      try {
        const p = { callId: 'hold-1', local: peer.local, target: `127.0.0.1:${port}` };
        peer.send(siprecInvite(p), port);
        const ok = await peer.waitForResponse(200, 'INVITE');
        const toTag = toTagOf(ok);
        peer.send(inDialogRequest('ACK', { ...p, toTag }), port);
        const hold = siprecInvite({ ...p, toTag, cseq: 2, sdp: sdpOffer({ direction: 'inactive' }) });
        peer.send(hold, port);
        const ok2 = await peer.waitFor(
          (m) => m.kind === 'response' && m.status === 200 && /^2 INVITE/.test(headerValue(m, 'cseq') ?? ''),
          '200 re-INVITE',
        );
        assert.match(ok2.body.toString(), /a=inactive/);
        assert.equal(answerPorts(ok2), answerPorts(ok), 'same media ports after re-INVITE');
        peer.send(inDialogRequest('ACK', { ...p, toTag, cseq: 2 }), port);
        await sendRtp(rtp, answerPorts(ok)[0], 0, [0, 1], 9, linearToUlaw);
        await until(() => server.stats().counters['rtp.onHold'] === 2, 'held packets dropped');
        // On hold, the inactivity timeout does not fire.
        await new Promise((r) => setTimeout(r, 700));
        assert.is(h.ended.length, 0);
        assert.ok(server.activeCalls()[0].legs.every((l) => l.onHold));
        await server.close();
        assert.equal(h.ended, [{ callId: p.callId, reason: 'shutdown' }]);
      } finally {
        peer.close();
        rtp.close();
      }
    });
  });
}

const withRtpIOTitle =
  'with RTP I/O threads, a handler that answers with sink functions gets its call refused (500), ports freed';
test(withRtpIOTitle, async () => {
  const h = new RecordingHandler(false);
  const base = nextRtpBase;
  nextRtpBase += 40;
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: base, rtpPortMax: base + 39, ioThreads: 1 },
    h,
  );
  await server.start();
  const peer = await SipTestPeer.udp();
  try {
    const port = server.address().port;
    peer.send(siprecInvite({ callId: 'sink-fn-1', local: peer.local, target: `127.0.0.1:${port}` }), port);
    await peer.waitForResponse(500, 'INVITE');
    // The I/O thread closes the sockets it had bound, then the ports go back to the range.
    await until(() => server.stats().rtpPorts.used === 0, 'ports released');
    assert.is(server.activeCalls().length, 0);
  } finally {
    peer.close();
    await server.close();
  }
});

test('CANCEL of an unknown transaction gets 481; INVITE retransmission is answered from the transaction', async () => {
  await withServer({}, async (server, h) => {
    const peer = await SipTestPeer.udp();
    const port = server.address().port;
    try {
      const target = `127.0.0.1:${port}`;
      peer.send(
        inDialogRequest('CANCEL', { callId: 'c1', local: peer.local, target, toTag: '', branch: 'z9hG4bKnone' }),
        port,
      );
      await peer.waitForResponse(481, 'CANCEL');
      const p = { callId: 'retx', local: peer.local, target, branch: 'z9hG4bKretx1' };
      peer.send(siprecInvite(p), port);
      await peer.waitForResponse(200, 'INVITE');
      peer.send(siprecInvite(p), port);
      await until(() => server.stats().counters['sip.retransmission'] === 1, 'retransmission counted');
      await until(
        () => peer.received.filter((m) => m.kind === 'response' && m.status === 200).length >= 2,
        'second 200',
      );
      assert.is(h.started.length, 1, 'retransmitted INVITE does not start a second call');
    } finally {
      peer.close();
    }
  });
});

test('2xx is retransmitted until ACK; without ACK the call ends with error and a BYE (RFC 3261 13.3.1.4)', async () => {
  await withServer({ sipT1Ms: 20 }, async (server, h) => {
    const peer = await SipTestPeer.udp();
    const port = server.address().port;
    try {
      const p = { callId: 'no-ack', local: peer.local, target: `127.0.0.1:${port}` };
      peer.send(siprecInvite(p), port);
      await peer.waitForResponse(200, 'INVITE');
      await peer.waitFor((m) => m.kind === 'request' && m.method === 'BYE', 'BYE after ACK timeout');
      const oks = peer.received.filter((m) => m.kind === 'response' && m.status === 200).length;
      assert.ok(oks >= 3, `200 OK retransmitted (${oks} copies)`);
      assert.equal(h.ended, [{ callId: p.callId, reason: 'error' }]);
      assert.is(server.stats().counters['sip.ackTimeout'], 1);
    } finally {
      peer.close();
    }
  });
});

test.run();
