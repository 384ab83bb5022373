import dgram from 'node:dgram';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linearToAlaw } from '../../actors/dsp/g711.js';
import { answerPorts, SipTestPeer, toTagOf } from './fixtures/sip-test-peer.js';
import { OPENSIPS_FROM_TAG, openSipsSiprecInvite } from './fixtures/opensips-siprec-invite.js';
import { inDialogRequest } from './fixtures/siprec-invite.js';
import { writeRtpPacket } from './rtp-packet.js';
import { createSiprecServer, type SiprecCallInfo } from './siprec-server.js';
import { headerValue } from './sip-message.js';

/** The OpenSIPS-shaped recording session: parsed with the right caller, callee and leg mapping, answered, recorded. */
async function withServer(
  fn: (port: number, started: SiprecCallInfo[], audio: number[][], ended: string[]) => Promise<void>,
) {
  const started: SiprecCallInfo[] = [];
  const audio: number[][] = [[], []];
  const ended: string[] = [];
  const base = 33000 + (process.pid % 50) * 20;
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: base, rtpPortMax: base + 19 },
    {
      onCallStart(info) {
        started.push(info);
        return {
          sinks: audio.map((a) => ({
            write: (pcm: Int16Array, o: number, n: number) => void a.push(...pcm.subarray(o, o + n)),
          })),
        };
      },
      onCallEnd: (id, reason) => void ended.push(`${id}:${reason}`),
    },
  );
  await server.start();
  try {
    await fn(server.address().port, started, audio, ended);
  } finally {
    await server.close();
  }
}

const opensipsShapePartiesOnlyTitle =
  'OpenSIPS shape: parties only in the metadata, labels "1" (caller) and "0", CSeq from 2, separate RTCP ports';
test(opensipsShapePartiesOnlyTitle, async () => {
  await withServer(async (port, started, audio, ended) => {
    const peer = await SipTestPeer.udp();
    try {
      const rtp = dgram.createSocket('udp4');
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      // In-dialog requests carry the INVITE's From tag (the fixture's) and the SRS URI the INVITE used.
      const params = {
        callId: 'oss-b2b-1',
        local: peer.local,
        target: `127.0.0.1:${port}`,
        fromTag: OPENSIPS_FROM_TAG,
      };
      peer.send(openSipsSiprecInvite({ ...params, ports: [35000, 35002] }), port);
      const ok = await peer.waitForResponse(200, 'INVITE');
      assert.is(headerValue(ok, 'cseq'), '2 INVITE');
      assert.equal(started.length, 1);
      const info = started[0];
      // From and To name the SRS: caller and callee come from the metadata's nameID aor, tied to the m-lines by label.
      assert.equal(
        info.legs.map((l) => [l.label, l.role, l.number, l.codec, l.sampleRate, l.remote.port]),
        [
          ['1', 'caller', '+33612345678', 'PCMA', 8000, 35000],
          ['0', 'callee', '+33698765432', 'PCMA', 8000, 35002],
        ],
      );
      assert.is(info.sessionId, 'ZDk0YzIzOWUtYjBkYy0xMQ==');
      assert.is(info.direction, 'incoming');
      assert.is(info.protectedLeg, 1, 'the callee is the protected subscriber on an incoming call');
      // The answer: one recvonly line per offered line, in order, labels echoed, RTP ports (not the a=rtcp ones).
      const sdp = ok.body.toString('utf8');
      assert.match(
        sdp,
        /m=audio \d+ RTP\/AVP 8\r\na=rtpmap:8 PCMA\/8000\r\na=label:1\r\na=recvonly\r\nm=audio \d+ RTP\/AVP 8\r\na=rtpmap:8 PCMA\/8000\r\na=label:0\r\na=recvonly/,
      );
      const toTag = toTagOf(ok);
      peer.send(inDialogRequest('ACK', { ...params, toTag, cseq: 2 }), port);
      // The caller's stream on the first answered port reaches leg 0, the callee's on the second reaches leg 1.
      const [p0, p1] = answerPorts(ok);
      for (let k = 0; k < 10; k++) {
        for (const [dest, amp, ssrc] of [
          [p0, 8000, 1],
          [p1, -8000, 2],
        ] as const) {
          const buf = new Uint8Array(172); // one per datagram: send() reads it after this loop has moved on
          const n = writeRtpPacket(buf, 8, k, k * 160, ssrc, new Uint8Array(160).fill(linearToAlaw(amp)));
          rtp.send(buf.subarray(0, n), dest, '127.0.0.1');
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const deadline = Date.now() + 3000;
      while ((audio[0].length < 1440 || audio[1].length < 1440) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(audio[0].length >= 1440 && audio[0].every((v) => v > 0), 'caller audio on leg 0');
      assert.ok(audio[1].length >= 1440 && audio[1].every((v) => v < 0), 'callee audio on leg 1');
      peer.send(inDialogRequest('BYE', { ...params, toTag, cseq: 3 }), port);
      await peer.waitForResponse(200, 'BYE');
      assert.equal(ended, ['oss-b2b-1:bye']);
      rtp.close();
    } finally {
      peer.close();
    }
  });
});

test('OpenSIPS shape forking a VoLTE call in AMR-WB (octet-aligned, mode-set): both legs at 16 kHz', async () => {
  await withServer(async (port, started) => {
    const peer = await SipTestPeer.udp();
    try {
      const media = {
        formats: '104 101',
        lines: [
          'a=rtpmap:104 AMR-WB/16000',
          'a=fmtp:104 mode-change-capability=2;max-red=0;octet-align=1;mode-set=0,1,2',
          'a=rtpmap:101 telephone-event/16000',
        ],
      };
      peer.send(
        openSipsSiprecInvite({
          callId: 'oss-volte-1',
          local: peer.local,
          target: `127.0.0.1:${port}`,
          ports: [35010, 35012],
          media,
        }),
        port,
      );
      const ok = await peer.waitForResponse(200, 'INVITE');
      assert.equal(
        started[0].legs.map((l) => [l.role, l.codec, l.sampleRate, l.payloadType]),
        [
          ['caller', 'AMR-WB', 16000, 104],
          ['callee', 'AMR-WB', 16000, 104],
        ],
      );
      assert.match(
        ok.body.toString('utf8'),
        /a=rtpmap:104 AMR-WB\/16000\r\na=fmtp:104 octet-align=1;mode-set=0,1,2\r\na=label:1\r\n/,
      );
    } finally {
      peer.close();
    }
  });
});

test.run();
