import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAnswer, negotiateOffer, parseSdp, UNSUPPORTED_CODECS_REASON, type SdpSession } from './sdp.js';
import { sdpOffer } from './fixtures/siprec-invite.js';
import { parseMultipart } from './multipart.js';

test('two sendonly audio lines with labels: PCMU chosen, telephone-event ignored, recvonly answer', () => {
  const r = parseSdp(sdpOffer({ address: '192.0.2.10', ports: [10000, 10002] }));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.sdp.media.length, 2);
  assert.is(r.sdp.media[1].label, '2');
  const d = negotiateOffer(r.sdp);
  assert.ok(d[0].accepted && d[1].accepted);
  if (!d[0].accepted) return;
  assert.is(d[0].codec, 'PCMU');
  assert.ok(d[0].skipPayloadTypes.includes(101));
  assert.equal(d[0].remote, { address: '192.0.2.10', port: 10000 });
  assert.is(d[0].answerDirection, 'recvonly');
  const ans = buildAnswer({
    sessionId: '1',
    version: 1,
    address: '198.51.100.1',
    lines: r.sdp.media.map((m, i) => ({ offer: m, decision: d[i], localPort: 20000 + 2 * i })),
  });
  assert.match(ans, /m=audio 20000 RTP\/AVP 0\r\n/);
  assert.match(ans, /a=label:1\r\na=recvonly/);
  assert.not.match(ans, /telephone-event/);
});

test('PCMA preferred when listed first; dynamic PT with rtpmap; media-level c= and IPv6', () => {
  const sdp =
    'v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96 0\r\nc=IN IP6 ' +
    '2001:db8::2\r\na=rtpmap:96 PCMA/8000\r\na=sendonly\r\n';
  const r = parseSdp(sdp);
  assert.ok(r.ok);
  if (!r.ok) return;
  const [d] = negotiateOffer(r.sdp);
  assert.ok(d.accepted && d.codec === 'PCMA' && d.payloadType === 96 && d.remote.address === '2001:db8::2');
});

test('rejections: video only, SRTP, codecs we do not decode, port 0; hold detection', () => {
  const base = 'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\n';
  const reasons = (m: string) =>
    negotiateOffer((parseSdp(base + m) as { ok: true; sdp: any }).sdp).map((d) => (d.accepted ? 'ok' : d.reason));
  assert.match(reasons('m=video 5000 RTP/AVP 96\r\n')[0], /video/);
  assert.match(reasons('m=audio 5000 RTP/SAVP 0\r\n')[0], /RTP\/SAVP/);
  assert.is(reasons('m=audio 5000 RTP/AVP 18 96\r\na=rtpmap:96 EVS/16000\r\n')[0], UNSUPPORTED_CODECS_REASON);
  assert.match(reasons('m=audio 0 RTP/AVP 0\r\n')[0], /disabled/);
  const held = negotiateOffer(
    (parseSdp(base + 'm=audio 5000 RTP/AVP 0\r\na=inactive\r\n') as { ok: true; sdp: any }).sdp,
  )[0];
  assert.ok(held.accepted && held.onHold && held.answerDirection === 'inactive');
});

const BASE = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';
function offer(media: string): SdpSession {
  const r = parseSdp(BASE + media);
  if (!r.ok) throw new Error(r.detail);
  return r.sdp;
}
function answerOf(sdp: SdpSession): string {
  const d = negotiateOffer(sdp);
  return buildAnswer({
    sessionId: '1',
    version: 1,
    address: '198.51.100.1',
    lines: sdp.media.map((m, i) => ({ offer: m, decision: d[i], localPort: 30000 + 2 * i })),
  });
}

test('each codec offered alone is accepted, with the answer an SBC expects (rtpmap, fmtp)', () => {
  const cases: Array<{ media: string; codec: string; pt: number; answer: RegExp[] }> = [
    {
      media: 'm=audio 5000 RTP/AVP 9 101\r\na=rtpmap:101 telephone-event/8000\r\n',
      codec: 'G722',
      pt: 9,
      answer: [/m=audio 30000 RTP\/AVP 9\r\na=rtpmap:9 G722\/8000\r\n/],
    },
    {
      media: 'm=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n',
      codec: 'OPUS',
      pt: 111,
      answer: [/a=rtpmap:111 opus\/48000\/2\r\n/, /a=fmtp:111 maxplaybackrate=16000;stereo=0\r\n/],
    },
    {
      media: 'm=audio 5000 RTP/AVP 104\r\na=rtpmap:104 AMR-WB/16000\r\n',
      codec: 'AMR-WB',
      pt: 104,
      answer: [/a=rtpmap:104 AMR-WB\/16000\r\n/],
    },
    {
      media:
        'm=audio 5000 RTP/AVP 97\r\na=rtpmap:97 AMR-WB/16000/1\r\na=fmtp:97 octet-align=1; mode-set=0,1,2; ' +
        'mode-change-capability=2\r\n',
      codec: 'AMR-WB',
      pt: 97,
      answer: [/a=rtpmap:97 AMR-WB\/16000\r\na=fmtp:97 octet-align=1;mode-set=0,1,2\r\n/],
    },
    {
      media: 'm=audio 5000 RTP/AVP 98\r\na=rtpmap:98 AMR/8000\r\na=fmtp:98 octet-align=0\r\n',
      codec: 'AMR',
      pt: 98,
      answer: [/a=rtpmap:98 AMR\/8000\r\n/],
    },
  ];
  for (const c of cases) {
    const sdp = offer(c.media);
    const [d] = negotiateOffer(sdp);
    assert.ok(d.accepted, c.codec);
    if (!d.accepted) continue;
    assert.is(d.codec, c.codec);
    assert.is(d.payloadType, c.pt);
    const ans = answerOf(sdp);
    for (const re of c.answer) assert.match(ans, re, c.codec);
    if (c.codec !== 'AMR-WB' || c.pt !== 97) assert.not.match(ans, /octet-align/);
  }
  const [bwe] = negotiateOffer(offer(cases[2].media));
  assert.equal(bwe.accepted && bwe.amr, { octetAligned: false, modeSet: null }, 'no octet-align: bandwidth-efficient');
  const [oa] = negotiateOffer(offer(cases[3].media));
  assert.equal(oa.accepted && oa.amr, { octetAligned: true, modeSet: [0, 1, 2] });
});

test('several codecs offered: wideband preferred, the offer order within a class; each line decides for itself', () => {
  const pick = (formats: string, maps = '') => {
    const [d] = negotiateOffer(offer(`m=audio 5000 RTP/AVP ${formats}\r\n${maps}`));
    return d.accepted ? `${d.codec}/${d.payloadType}` : d.reason;
  };
  const maps =
    'a=rtpmap:96 AMR-WB/16000\r\na=rtpmap:97 AMR/8000\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:18 G729/8000\r\n';
  assert.is(pick('0 8 96 9', maps), 'AMR-WB/96');
  assert.is(pick('0 9 96', maps), 'G722/9');
  assert.is(pick('18 111 96', maps), 'OPUS/111');
  assert.is(pick('97 8 0', maps), 'AMR/97', 'narrowband: the offer order');
  assert.is(pick('18 8 97', maps), 'PCMA/8');
  // The legs of one call may differ (each m-line is negotiated on its own).
  const two = negotiateOffer(
    offer(`m=audio 5000 RTP/AVP 96\r\n${maps}a=label:1\r\nm=audio 5002 RTP/AVP 8\r\na=label:0\r\n`),
  );
  assert.equal(
    two.map((d) => d.accepted && d.codec),
    ['AMR-WB', 'PCMA'],
  );
});

test('codecs and options we do not decode are refused, with a reason naming what the SBC must do', () => {
  const reason = (media: string) => {
    const [d] = negotiateOffer(offer(media));
    return d.accepted ? 'accepted' : d.reason;
  };
  for (const [name, media] of [
    ['G.729', 'm=audio 5000 RTP/AVP 18\r\n'],
    ['EVS', 'm=audio 5000 RTP/AVP 100\r\na=rtpmap:100 EVS/16000\r\n'],
    ['SILK', 'm=audio 5000 RTP/AVP 100\r\na=rtpmap:100 SILK/16000\r\n'],
    ['iLBC', 'm=audio 5000 RTP/AVP 100\r\na=rtpmap:100 iLBC/8000\r\n'],
    ['G.722 at a wrong clock', 'm=audio 5000 RTP/AVP 100\r\na=rtpmap:100 G722/16000\r\n'],
    ['AMR-WB at 8000', 'm=audio 5000 RTP/AVP 100\r\na=rtpmap:100 AMR-WB/8000\r\n'],
  ]) {
    assert.is(reason(media), UNSUPPORTED_CODECS_REASON, name);
  }
  assert.match(UNSUPPORTED_CODECS_REASON, /EVS, SILK, iLBC, G\.729 .*transcoded by the SBC/);
  assert.is(
    reason('m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 AMR-WB/16000\r\na=fmtp:96 crc=1\r\n'),
    'AMR crc not supported',
  );
  assert.is(
    reason('m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 AMR/8000\r\na=fmtp:96 octet-align=1;interleaving=4\r\n'),
    'AMR interleaving not supported',
  );
  assert.is(
    reason('m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 AMR/8000\r\na=fmtp:96 mode-set=0,9\r\n'),
    'bad AMR mode-set',
  );
  assert.is(reason('m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 AMR/8000/2\r\n'), 'multi-channel AMR not supported');
  // A refused AMR option does not refuse the line when something else is offered.
  assert.is(
    reason('m=audio 5000 RTP/AVP 96 0\r\na=rtpmap:96 AMR-WB/16000\r\na=fmtp:96 robust-sorting=1\r\n'),
    'accepted',
  );
});

test('malformed SDP yields a coded error', () => {
  for (const s of [
    '',
    'hello',
    'v=0\r\nm=audio x RTP/AVP 0\r\n',
    'v=0\r\nc=IN IP4 not-an-ip\r\n',
    'v=0\r\nbroken line\r\n',
  ]) {
    const r = parseSdp(s);
    assert.ok(!r.ok, s);
  }
});

test('multipart: finds parts, tolerates LF-only, rejects missing boundary', () => {
  const body = Buffer.from(
    '--b\nContent-Type: application/sdp\n\nv=0\n--b\r\nContent-Type: ' +
      'application/rs-metadata+xml\r\n\r\n<recording/>\r\n--b--\r\n',
  );
  const r = parseMultipart(body, 'b');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(
    r.parts.map((p) => p.contentType?.type),
    ['application/sdp', 'application/rs-metadata+xml'],
  );
  assert.is(r.parts[1].body.toString(), '<recording/>');
  assert.ok(!parseMultipart(body, 'zzz').ok);
  assert.ok(!parseMultipart(body, null).ok);
});

test.run();
