import dgram from 'node:dgram';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer, type SiprecCallInfo } from './siprec-server.js';
import { SipTestPeer, answerPorts, toTagOf } from './fixtures/sip-test-peer.js';
import { inDialogRequest, siprecInvite } from './fixtures/siprec-invite.js';
import { writeRtpPacket } from './rtp-packet.js';

/**
 * An RTP storm at a live call's ports: malformed packets of every kind the parser refuses, valid packets of foreign
 * streams with sequence numbers wrapping, as fast as this process can send them for 2 s, while the SBC's own stream
 * goes on at 50 packets a second. The call must survive and keep being analysed, and every packet the engine read
 * must show up in exactly one counter (the kernel may drop some of the flood before we see it; that is not ours).
 */
const DISCARDS = [
  'rtp.badPacket',
  'rtp.rtcp',
  'rtp.wrongSource',
  'rtp.wrongSsrc',
  'rtp.unlatchedSource',
  'rtp.onHold',
] as const;

function malformed(): Buffer[] {
  const ok = Buffer.alloc(172);
  writeRtpPacket(ok, 0, 1, 160, 0xbad, new Uint8Array(160));
  const variants: Buffer[] = [];
  variants.push(Buffer.from([0x80, 0x00, 0x00])); // shorter than a header
  const v1 = Buffer.from(ok);
  v1[0] = 0x40; // version 1
  variants.push(v1);
  const cc = Buffer.from(ok.subarray(0, 20));
  cc[0] = 0x8f; // 15 CSRCs, 8 bytes after the header
  variants.push(cc);
  const ext = Buffer.from(ok);
  ext[0] = 0x90; // extension whose length runs past the end
  ext.writeUInt16BE(0xffff, 14);
  variants.push(ext);
  const pad = Buffer.from(ok);
  pad[0] = 0xa0; // padding longer than the packet
  pad[pad.length - 1] = 255;
  variants.push(pad);
  const pad0 = Buffer.from(ok);
  pad0[0] = 0xa0; // padding count 0
  pad0[pad0.length - 1] = 0;
  variants.push(pad0);
  const rtcp = Buffer.from(ok);
  rtcp[1] = 200; // an RTCP sender report on the RTP port
  variants.push(rtcp);
  return variants;
}

const rtpStormMalformedAndTitle =
  'RTP storm: malformed and foreign packets flood a live call for 2 s; the call is analysed throughout and every ' +
  'packet read is counted once';
test(rtpStormMalformedAndTitle, async () => {
  const samples: number[] = [0, 0];
  const started: SiprecCallInfo[] = [];
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: 36300, rtpPortMax: 36339, rtpTimeoutMs: 5000 },
    {
      onCallStart: (info) => {
        started.push(info);
        return {
          sinks: [0, 1].map((i) => ({ write: (_p: Int16Array, _o: number, n: number) => void (samples[i] += n) })),
        };
      },
      onCallEnd() {},
    },
  );
  await server.start();
  const peer = await SipTestPeer.udp();
  const legit = dgram.createSocket('udp4');
  const storm = dgram.createSocket('udp4');
  await Promise.all([legit, storm].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
  try {
    const port = server.address().port;
    const p = { callId: 'storm-1@test', local: peer.local, target: `127.0.0.1:${port}` };
    peer.send(siprecInvite(p), port);
    const ok = await peer.waitForResponse(200, 'INVITE');
    peer.send(inDialogRequest('ACK', { ...p, toTag: toTagOf(ok) }), port);
    const [leg0] = answerPorts(ok);

    // The SBC's stream: 4 s at 20 ms.
    const pkt = Buffer.alloc(172);
    let seq = 0;
    const sendLegit = () => {
      writeRtpPacket(pkt, 0, seq & 0xffff, seq * 160, 0x5bc, new Uint8Array(160).fill(0x55));
      seq++;
      legit.send(pkt, leg0, '127.0.0.1');
    };
    sendLegit();
    const timer = setInterval(sendLegit, 20);

    // The storm, from another port of an allowed address, for 2 s.
    await new Promise((r) => setTimeout(r, 500));
    const bad = malformed();
    const foreign = Buffer.alloc(172);
    let sent = 0;
    let fseq = 65_000;
    const stop = Date.now() + 2000;
    const samplesBefore = samples[0];
    while (Date.now() < stop) {
      for (let i = 0; i < 200; i++, sent++) {
        if (i % 2 === 0) storm.send(bad[(sent >> 1) % bad.length], leg0, '127.0.0.1');
        else {
          writeRtpPacket(foreign, 0, fseq++ & 0xffff, fseq * 160, 0xf00 + (sent % 7), new Uint8Array(160));
          storm.send(foreign, leg0, '127.0.0.1');
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    const seqAfterStorm = seq;
    const samplesAfterStorm = samples[0];
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 300));

    const call = server.activeCalls().find((c) => c.callId === p.callId);
    assert.ok(call, 'the call is still up');
    const c = server.stats().counters;
    const accepted = call!.legs.reduce((n, l) => n + l.packetsReceived, 0);
    const discarded = DISCARDS.reduce((n, k) => n + c[k], 0);
    assert.is(
      c['rtp.received'],
      accepted + discarded,
      `every packet read counted once: ${JSON.stringify(Object.fromEntries(DISCARDS.map((k) => [k, c[k]])))}`,
    );
    assert.ok(c['rtp.badPacket'] > 0 && c['rtp.rtcp'] > 0 && c['rtp.unlatchedSource'] > 0, 'each kind of discard seen');
    assert.ok(sent > 10_000, `storm sent ${sent} packets`);
    // Only the SBC's stream was played (the kernel drops some of it while the flood fills the socket's buffer: a
    // flood costs a call its audio for as long as it lasts, not the call), and after the storm every packet of it was.
    assert.ok(accepted <= seq, `${accepted} accepted, ${seq} legitimate packets sent`);
    assert.ok(samples[0] > samplesBefore, 'audio reached the analysis');
    const after = seq - seqAfterStorm;
    assert.ok(
      samples[0] - samplesAfterStorm >= (after - 3) * 160,
      `after the storm: ${(samples[0] - samplesAfterStorm) / 160} of ${after} packets written`,
    );
    assert.is(samples[0] % 160, 0);
    assert.is(c['rtp.relatch'] + c['rtp.ssrcChange'], 0, 'the storm never took the leg');
  } finally {
    legit.close();
    storm.close();
    peer.close();
    await server.close();
  }
});

test.run();
