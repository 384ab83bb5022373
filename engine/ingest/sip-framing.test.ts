import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer } from './siprec-server.js';
import { SipTestPeer } from './fixtures/sip-test-peer.js';
import { headerValue, type SipMessage } from './sip-message.js';
import { SipStreamFramer } from './sip-stream-framer.js';

/**
 * Framing and parsing read the header block the same way: each message of a corpus (folding, compact names,
 * conflicting or missing Content-Length, bodies) gets the same verdict over UDP (one datagram) and over TCP (all of
 * them back to back on one connection, each followed by a plain OPTIONS that must still be answered).
 */
let via = 'SIP/2.0/UDP 127.0.0.1:5099';
function options(callId: string, extraHeaders: string[], body = ''): Buffer {
  const lines = [
    'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
    `Via: ${via};rport;branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    'From: <sip:sbc@127.0.0.1>;tag=f1',
    'To: <sip:srs@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    ...extraHeaders,
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'latin1');
}

const BODY = 'v=0\r\no=- 1 1 IN IP4 x\r\n'; // 25 bytes
const CORPUS: Array<{ name: string; msg: (id: string) => Buffer }> = [
  { name: 'plain', msg: (id) => options(id, ['Content-Length: 0']) },
  { name: 'compact l', msg: (id) => options(id, ['l: 0']) },
  { name: 'body', msg: (id) => options(id, ['Content-Type: application/sdp', `Content-Length: ${BODY.length}`], BODY) },
  // The probe's message: a folded continuation line that reads like a compact Content-Length of 0.
  {
    name: 'folded l: 0',
    msg: (id) =>
      options(id, ['Content-Type: application/sdp', 'Subject: hello', ' l: 0', `Content-Length: ${BODY.length}`], BODY),
  },
  {
    name: 'folded Content-Length value',
    msg: (id) => options(id, ['Content-Type: application/sdp', 'Content-Length:', `  ${BODY.length}`], BODY),
  },
  { name: 'tab-folded header', msg: (id) => options(id, ['Subject: a', '\tfolded', 'Content-Length: 0']) },
  { name: 'lower-case name, spaces round the colon', msg: (id) => options(id, ['content-length   :   0']) },
  { name: 'the same Content-Length twice', msg: (id) => options(id, ['Content-Length: 0', 'l: 0']) },
];

async function udpVerdicts(port: number): Promise<Map<string, number>> {
  const peer = await SipTestPeer.udp();
  via = `SIP/2.0/UDP ${peer.local}`;
  try {
    for (const c of CORPUS) peer.send(c.msg(`udp-${c.name}`), port);
    await peer.waitFor(
      () => peer.received.filter((m) => m.kind === 'response').length >= CORPUS.length,
      'UDP answers',
      5000,
    );
    return verdicts(peer.received, 'udp-');
  } finally {
    peer.close();
  }
}

async function tcpVerdicts(port: number): Promise<{ verdicts: Map<string, number>; followUps: number }> {
  const peer = await SipTestPeer.tcp(port);
  via = `SIP/2.0/TCP ${peer.local}`;
  try {
    const stream = Buffer.concat(
      CORPUS.flatMap((c, i) => [c.msg(`tcp-${c.name}`), options(`tcp-follow-${i}`, ['Content-Length: 0'])]),
    );
    peer.send(stream, port);
    await peer.waitFor(
      () => peer.received.filter((m) => m.kind === 'response').length >= 2 * CORPUS.length,
      'TCP answers',
      5000,
    );
    const followUps = peer.received.filter(
      (m) => (headerValue(m, 'call-id') ?? '').startsWith('tcp-follow-') && m.kind === 'response' && m.status === 200,
    ).length;
    return { verdicts: verdicts(peer.received, 'tcp-'), followUps };
  } finally {
    peer.close();
  }
}

function verdicts(received: SipMessage[], prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of received) {
    const id = headerValue(m, 'call-id') ?? '';
    if (m.kind === 'response' && id.startsWith(prefix) && !id.startsWith(`${prefix}follow-`))
      out.set(id.slice(prefix.length), m.status);
  }
  return out;
}

const sipFramingEveryCorpusTitle =
  'SIP framing: every corpus message gets the same verdict over UDP and TCP, and the stream never misaligns';
test(sipFramingEveryCorpusTitle, async () => {
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: 36000, rtpPortMax: 36039 },
    { onCallStart: () => ({ reject: { status: 480, reason: 'x' } }), onCallEnd() {} },
  );
  await server.start();
  try {
    const port = server.address().port;
    const udp = await udpVerdicts(port);
    const tcp = await tcpVerdicts(port);
    for (const c of CORPUS)
      assert.is(
        tcp.verdicts.get(c.name),
        udp.get(c.name),
        `${c.name}: TCP ${tcp.verdicts.get(c.name)} vs UDP ${udp.get(c.name)}`,
      );
    assert.is(udp.get('folded l: 0'), 200);
    assert.is(tcp.followUps, CORPUS.length, 'every OPTIONS after a corpus message was answered 200');
  } finally {
    await server.close();
  }
});

const sipFramingConflictingContentTitle =
  'SIP framing: conflicting Content-Length values are refused by the parser (400) and end a stream (no way to ' +
  'frame it)';
test(sipFramingConflictingContentTitle, () => {
  const framer = new SipStreamFramer(65_535);
  const events = framer.push(options('x', ['Content-Length: 0', 'l: 25'], BODY));
  assert.is(events.length, 1);
  assert.is(events[0].type, 'error');
  const ok = new SipStreamFramer(65_535).push(
    options('y', ['Content-Type: application/sdp', 'Subject: s', ' l: 0', `Content-Length: ${BODY.length}`], BODY),
  );
  assert.is(ok.length, 1);
  assert.is(
    ok[0].type === 'message' && ok[0].data.length,
    options('y', ['Content-Type: application/sdp', 'Subject: s', ' l: 0', `Content-Length: ${BODY.length}`], BODY)
      .length,
  );
});

test.run();
