import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAnswer, negotiateOffer, parseSdp } from './sdp.js';
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
  const ans = buildAnswer({ sessionId: '1', version: 1, address: '198.51.100.1', lines: r.sdp.media.map((m, i) => ({ offer: m, decision: d[i], localPort: 20000 + 2 * i })) });
  assert.match(ans, /m=audio 20000 RTP\/AVP 0\r\n/);
  assert.match(ans, /a=label:1\r\na=recvonly/);
  assert.not.match(ans, /telephone-event/);
});

test('PCMA preferred when listed first; dynamic PT with rtpmap; media-level c= and IPv6', () => {
  const sdp = 'v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96 0\r\nc=IN IP6 2001:db8::2\r\na=rtpmap:96 PCMA/8000\r\na=sendonly\r\n';
  const r = parseSdp(sdp);
  assert.ok(r.ok);
  if (!r.ok) return;
  const [d] = negotiateOffer(r.sdp);
  assert.ok(d.accepted && d.codec === 'PCMA' && d.payloadType === 96 && d.remote.address === '2001:db8::2');
});

test('rejections: video only, SRTP, wideband only, port 0; hold detection', () => {
  const base = 'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\n';
  const reasons = (m: string) => negotiateOffer((parseSdp(base + m) as { ok: true; sdp: any }).sdp).map((d) => (d.accepted ? 'ok' : d.reason));
  assert.match(reasons('m=video 5000 RTP/AVP 96\r\n')[0], /video/);
  assert.match(reasons('m=audio 5000 RTP/SAVP 0\r\n')[0], /RTP\/SAVP/);
  assert.match(reasons('m=audio 5000 RTP/AVP 9 96\r\na=rtpmap:96 opus/48000/2\r\n')[0], /PCMU or PCMA/);
  assert.match(reasons('m=audio 0 RTP/AVP 0\r\n')[0], /disabled/);
  const held = negotiateOffer((parseSdp(base + 'm=audio 5000 RTP/AVP 0\r\na=inactive\r\n') as { ok: true; sdp: any }).sdp)[0];
  assert.ok(held.accepted && held.onHold && held.answerDirection === 'inactive');
});

test('malformed SDP yields a coded error', () => {
  for (const s of ['', 'hello', 'v=0\r\nm=audio x RTP/AVP 0\r\n', 'v=0\r\nc=IN IP4 not-an-ip\r\n', 'v=0\r\nbroken line\r\n']) {
    const r = parseSdp(s);
    assert.ok(!r.ok, s);
  }
});

test('multipart: finds parts, tolerates LF-only, rejects missing boundary', () => {
  const body = Buffer.from('--b\nContent-Type: application/sdp\n\nv=0\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<recording/>\r\n--b--\r\n');
  const r = parseMultipart(body, 'b');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.parts.map((p) => p.contentType?.type), ['application/sdp', 'application/rs-metadata+xml']);
  assert.is(r.parts[1].body.toString(), '<recording/>');
  assert.ok(!parseMultipart(body, 'zzz').ok);
  assert.ok(!parseMultipart(body, null).ok);
});

test.run();
