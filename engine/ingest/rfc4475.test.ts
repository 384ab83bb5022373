import dgram from 'node:dgram';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSiprecServer } from './siprec-server.js';
import { parseSipMessage } from './sip-parser.js';
import { RFC4475_MESSAGES } from './fixtures/rfc4475-messages.js';

/**
 * RFC 4475's torture messages, each sent in one UDP datagram to a fresh SIPREC server (many reuse the same branch,
 * which would otherwise match an earlier transaction), with the final response we expect. A recording server is a
 * UAS that only takes SIPREC INVITEs, so where the RFC describes a proxy, registrar or general endpoint, the
 * comment says what our answer means. `null`: no response (it is a response, which is never answered).
 * The server answers UDP requests at the top Via's port (RFC 3261 18.2.2), so the test listens there.
 */
const EXPECTED: Record<string, { status: number | null; why?: string }> = {
  // 3.1.1 valid messages: parsed; the answer is the application's.
  wsinv: {
    status: 481,
    why: 'well formed; its To carries a tag, so it is an in-dialog INVITE for a dialog we do not have',
  },
  intmeth: { status: 501, why: 'an unknown method: 501 (RFC 3261 8.2.1), with Allow' },
  esc01: { status: 488, why: 'an INVITE without rs-metadata is not a recording session' },
  escnull: { status: 405, why: 'REGISTER is a method we know but do not serve' },
  esc02: { status: 501, why: 'RE%47IST%45R is not REGISTER: unknown method' },
  lwsdisp: { status: 200 },
  longreq: { status: 488, why: '34 Vias and very long values parse; no rs-metadata' },
  dblreq: { status: 405, why: 'the REGISTER is answered; the octets after its Content-Length of 0 are ignored' },
  semiuri: { status: 200 },
  transports: { status: 200 },
  mpart01: { status: 405, why: 'MESSAGE parses (binary body part with NULs framed by its Content-Length); not served' },
  unreason: { status: null },
  noreason: { status: null },
  // 3.1.2 invalid messages.
  badinv01: { status: 400 },
  clerr: { status: 400, why: 'Content-Length beyond the datagram' },
  ncl: { status: 400 },
  scalar02: { status: 400 },
  scalarlg: { status: null },
  quotbal: { status: 400 },
  ltgtruri: { status: 400 },
  lwsruri: { status: 400 },
  lwsstart: { status: 400 },
  trws: { status: 400 },
  escruri: {
    status: 488,
    why: 'liberal, as the RFC allows: we never route on the Request-URI, so its escaped headers are ignored',
  },
  baddate: { status: 488, why: 'liberal, as the RFC allows: Date plays no part in recording' },
  regbadct: { status: 405, why: 'REGISTER is not served whatever its Contact' },
  badaspec: { status: 200, why: 'liberal, as the RFC allows: OPTIONS does not use the To URI' },
  baddn: { status: 200, why: 'liberal, as the RFC allows: display names play no part' },
  badvers: { status: 505 },
  mismatch01: { status: 400 },
  mismatch02: { status: 400, why: 'the RFC accepts 400 as well as 501' },
  bigcode: { status: null },
  // 3.2 / 3.3.
  badbranch: { status: 200, why: 'the RFC 2543-style transaction match is used when the branch has no identifier' },
  insuf: { status: 400 },
  unkscm: { status: 416 },
  novelsc: { status: 416 },
  unksm2: { status: 405, why: 'we are no registrar: REGISTER is not served' },
  bext01: { status: 420 },
  invut: { status: 415 },
  regaut01: { status: 405 },
  multi01: { status: 400 },
  mcl01: { status: 400 },
  bcast: { status: null },
  zeromf: { status: 200, why: 'an endpoint processes Max-Forwards 0' },
  cparam01: { status: 405, why: 'we are no registrar' },
  cparam02: { status: 405, why: 'we are no registrar' },
  regescrt: { status: 405, why: 'we are no registrar' },
  sdp01: {
    status: 488,
    why: 'refused as not a recording session before its Accept matters (the RFC allows 406 or 400)',
  },
  inv2543: {
    status: 488,
    why: 'accepted as RFC 2543 (no branch, no From tag, no Contact, no Content-Length); then no rs-metadata',
  },
};

function viaPort(message: string): number {
  const v = /^(?:via|v)\s*:\s*SIP\s*\/\s*[\d.]+\s*\/\s*\w+\s+[^\s;:]+(?:\s*:\s*(\d+))?/im.exec(message);
  return v?.[1] ? Number(v[1]) : 5060;
}

function callIdOf(message: string): string | undefined {
  return /^(?:call-id|i)\s*:\s*(\S+)/im.exec(message)?.[1];
}

async function finalResponse(message: string, expectNone: boolean): Promise<number | null> {
  const server = createSiprecServer(
    { host: '127.0.0.1', port: 0, rtpPortMin: 38200, rtpPortMax: 38239 },
    { onCallStart: () => ({ reject: { status: 480, reason: 'test' } }), onCallEnd() {} },
  );
  await server.start();
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(viaPort(message), '127.0.0.1', () => resolve());
    });
    const cid = callIdOf(message);
    const final = new Promise<number>((resolve) => {
      sock.on('message', (b) => {
        const p = parseSipMessage(b, { maxMessageBytes: 65_535, maxHeaders: 500 });
        if (!p.ok || p.message.kind !== 'response' || p.message.status < 200) return;
        if (cid && p.message.headers.find((h) => h.name === 'call-id')?.value !== cid) return;
        resolve(p.message.status);
      });
    });
    sock.send(Buffer.from(message, 'latin1'), server.address().port, '127.0.0.1');
    return await Promise.race([final, new Promise<null>((r) => setTimeout(() => r(null), expectNone ? 300 : 3000))]);
  } finally {
    sock.close();
    await server.close();
  }
}

const rfcEveryTortureMessageTitle =
  'RFC 4475: every torture message gets the answer the RFC expects of a recording server, and the server stays up';
test(rfcEveryTortureMessageTitle, async () => {
  const got: string[] = [];
  for (const m of RFC4475_MESSAGES) {
    const want = EXPECTED[m.name];
    assert.ok(want, `no expectation for ${m.name}`);
    const status = await finalResponse(m.message, want.status === null);
    if (status !== want.status)
      got.push(`${m.section} ${m.name}: got ${status}, want ${want.status}${want.why ? ` (${want.why})` : ''}`);
  }
  assert.equal(got, [], got.join('\n'));
  assert.is(Object.keys(EXPECTED).length, RFC4475_MESSAGES.length);
});

test.run();
