import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer } from './siprec-server.js';
import { SipTestPeer } from './fixtures/sip-test-peer.js';
import { siprecInvite } from './fixtures/siprec-invite.js';
import { parseSipMessage } from './sip-parser.js';
import { buildRequest, buildResponse, warningValue } from './sip-serializer.js';
import type { SipRequest } from './sip-message.js';

/** Response splitting: nothing a peer sends can add a header line or end the header block of what we send back. */
const HOSTILE = [
  'a\r\nContent-Length: 0\r\n\r\nSIP/2.0 200 OK',
  'b\nX-Injected: 1',
  'c\rX-Injected: 1',
  'd\u0000e',
  'f\u00ff\u00fe\u0080g',
  'h"\\i',
];

function request(extra: string): SipRequest {
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:srs@127.0.0.1',
    headers: [
      { name: 'via', value: 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1' },
      { name: 'from', value: `<sip:sbc@10.0.0.1>;tag=${extra}` },
      { name: 'to', value: '<sip:srs@127.0.0.1>' },
      { name: 'call-id', value: `id-${extra}` },
      { name: 'cseq', value: '1 INVITE' },
    ],
    body: Buffer.alloc(0),
  };
}

test('serializer: CR, LF, NUL and other controls in any value, reason or Warning text never add a header line', () => {
  for (const bad of HOSTILE) {
    const out = buildResponse(request(bad), 400, `Bad ${bad}`, {
      toTag: 't',
      headers: [
        ['Warning', warningValue(399, bad)],
        ['X-Reason', bad],
        [`Bad\r\nName`, 'v'],
      ],
    });
    const parsed = parseSipMessage(out, { maxMessageBytes: 65_535, maxHeaders: 100 });
    assert.ok(parsed.ok, JSON.stringify(bad));
    if (!parsed.ok || parsed.message.kind !== 'response') continue;
    const names = parsed.message.headers.map((h) => h.name);
    assert.equal(
      names,
      ['via', 'from', 'to', 'call-id', 'cseq', 'warning', 'x-reason', 'content-length'],
      JSON.stringify(bad),
    );
    assert.is(parsed.message.status, 400);
    assert.is(parsed.message.body.length, 0);
    /* eslint-disable no-control-regex -- looking for the control bytes the serializer must remove */
    assert.not.ok(
      /[\x00-\x08\x0a-\x1f\x7f]/.test(out.toString('latin1').replace(/\r\n/g, '')),
      'no stray control byte',
    );
    /* eslint-enable no-control-regex */
    const warning = parsed.message.headers.find((h) => h.name === 'warning')!.value;
    assert.match(
      warning,
      /^399 callguard "([^"\\]|\\.)*"$/,
      'the Warning text is one quoted-string of printable ASCII',
    );
  }
  const req = buildRequest('BYE', 'sip:x@10.0.0.1\r\nX: 1', [['Call-ID', 'c\r\nX-Injected: 1']]).toString('latin1');
  assert.not.match(req, /\r\nX(-Injected)?:/);
});

const serializerTheProbeSTitle =
  "serializer: the probe's INVITE (CR/LF in a metadata end-tag name) gets a 400 whose header block ends where it " +
  'should';
test(serializerTheProbeSTitle, async () => {
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: 36100, rtpPortMax: 36139 },
    { onCallStart: () => ({ sinks: [] }), onCallEnd() {} },
  );
  await server.start();
  const peer = await SipTestPeer.udp();
  try {
    const port = server.address().port;
    for (const [i, bad] of HOSTILE.entries()) {
      const metadata =
        `<?xml version="1.0" encoding="UTF-8"?>\r\n<recording ` +
        `xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode></x${bad}>`;
      peer.send(
        siprecInvite({ callId: `split-${i}@test`, local: peer.local, target: `127.0.0.1:${port}`, metadata }),
        port,
      );
      const r = await peer.waitFor(
        (m) =>
          m.kind === 'response' &&
          m.status >= 400 &&
          (m.headers.find((h) => h.name === 'call-id')?.value ?? '') === `split-${i}@test`,
        `final response ${i}`,
      );
      assert.not.ok(
        r.headers.some((h) => h.name === 'x-injected'),
        JSON.stringify(bad),
      );
      const warning = r.headers.find((h) => h.name === 'warning')?.value ?? '';
      assert.match(
        warning,
        /^399 callguard "([^"\\]|\\.)*"$/,
        `Warning cut short or split: ${JSON.stringify(warning)}`,
      );
      assert.is(r.headers[r.headers.length - 1].name, 'content-length', 'our own Content-Length ends the header block');
    }
    // Nothing the engine sent parsed as a second (injected) response.
    assert.not.ok(peer.received.some((m) => m.kind === 'response' && m.status === 200));
  } finally {
    peer.close();
    await server.close();
  }
});

test.run();
