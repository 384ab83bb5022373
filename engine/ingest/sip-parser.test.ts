import { seededRandom } from '../../actors/dsp/mulberry32.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSipMessage } from './sip-parser.js';
import { headerValue, headerValues } from './sip-message.js';
import { parseCSeq, parseNameAddr, parseVia } from './sip-headers.js';
import { SipStreamFramer } from './sip-stream-framer.js';
import { buildResponse } from './sip-serializer.js';
import { siprecInvite } from './fixtures/siprec-invite.js';

const LIMITS = { maxMessageBytes: 65535, maxHeaders: 128 };
const INVITE = siprecInvite({ callId: 'abc@h', local: '10.0.0.1:5060', target: '10.0.0.2:5060', branch: 'z9hG4bKx1' });

test('parses a SIPREC INVITE: request line, headers, multipart body', () => {
  const r = parseSipMessage(INVITE, LIMITS);
  assert.ok(r.ok);
  if (!r.ok || r.message.kind !== 'request') return;
  assert.is(r.message.method, 'INVITE');
  assert.is(r.message.uri, 'sip:srs@10.0.0.2:5060');
  assert.is(headerValue(r.message, 'call-id'), 'abc@h');
  assert.is(r.message.body.length, Number(headerValue(r.message, 'content-length')));
  assert.match(r.message.body.toString(), /rs-metadata\+xml/);
});

test('compact forms, folding, multi-value Via, case-insensitive names', () => {
  const raw =
    'OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1, SIP/2.0/TCP ' +
    '[2001:db8::1]:5070;branch=z9hG4bK2\r\n' +
    'VIA: SIP/2.0/UDP h3;branch=z9hG4bK3\r\nf: "A, B" <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\ni: x\r\nCSeq: 7\r\n  ' +
    'OPTIONS\r\nl: 0\r\n\r\n';
  const r = parseSipMessage(Buffer.from(raw), LIMITS);
  assert.ok(r.ok);
  if (!r.ok) return;
  const vias = headerValues(r.message, 'via');
  assert.is(vias.length, 3);
  assert.equal(parseVia(vias[1]), {
    transport: 'TCP',
    host: '2001:db8::1',
    port: 5070,
    params: Object.assign(Object.create(null), { branch: 'z9hG4bK2' }),
    branch: 'z9hG4bK2',
  });
  assert.equal(parseCSeq(headerValue(r.message, 'cseq')!), { seq: 7, method: 'OPTIONS' });
  assert.is(parseNameAddr(headerValue(r.message, 'from')!)!.tag, '1');
  assert.is(parseNameAddr(headerValue(r.message, 'from')!)!.displayName, 'A, B');
  // Quoted display names may hold '<' and escaped quotes; one that never closes is unreadable (RFC 4475 quotbal).
  const quoted = parseNameAddr('"Smith <Sales>" <sip:a@b>;tag=1')!;
  assert.equal([quoted.displayName, quoted.uri, quoted.tag], ['Smith <Sales>', 'sip:a@b', '1']);
  assert.is(parseNameAddr('"C:\\\\" <sip:a@b>')!.uri, 'sip:a@b');
  assert.is(parseNameAddr('"say \\"hi\\"" <sip:a@b>')!.uri, 'sip:a@b');
  assert.is(parseNameAddr('"Mr. J. User <sip:j.user@example.com>'), null);
  assert.is(parseNameAddr('sip:u@h ;   tag    = 1918181833n')!.tag, '1918181833n');
});

test('responses parse; status line validation', () => {
  const r = parseSipMessage(Buffer.from('SIP/2.0 200 OK\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n'), LIMITS);
  assert.ok(r.ok && r.message.kind === 'response' && r.message.status === 200);
  const bad = parseSipMessage(Buffer.from('SIP/2.0 999 Nope\r\n\r\n'), LIMITS);
  assert.ok(!bad.ok && bad.code === 'SIP_BAD_START_LINE');
});

test('errors are coded, never thrown', () => {
  const cases: Array<[string | Buffer, string]> = [
    ['', 'SIP_EMPTY'],
    ['\r\n\r\n', 'SIP_EMPTY'],
    ['INVITE sip:a@b SIP/2.0\r\nVia: x\r\n', 'SIP_NO_HEADER_END'],
    ['HELLO\r\n\r\n', 'SIP_BAD_START_LINE'],
    ['INVITE sip:a@b SIP/3.0\r\n\r\n', 'SIP_BAD_VERSION'],
    ['INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n', 'SIP_BAD_HEADER'],
    ['INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n', 'SIP_BAD_HEADER'],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n', 'SIP_BAD_CONTENT_LENGTH'],
    ['INVITE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nabc', 'SIP_BODY_TRUNCATED'],
    ['INVITE sip:a@b SIP/2.0\r\n' + 'X-A: 1\r\n'.repeat(200) + '\r\n', 'SIP_TOO_MANY_HEADERS'],
    [Buffer.alloc(70000, 65), 'SIP_OVERSIZE'],
  ];
  for (const [input, code] of cases) {
    const r = parseSipMessage(Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1'), LIMITS);
    assert.ok(!r.ok, `should reject: ${String(input).slice(0, 30)}`);
    if (!r.ok) assert.is(r.code, code, String(input).slice(0, 40));
  }
});

test('stream framer splits by Content-Length, answers keep-alives, rejects oversize', () => {
  const f = new SipStreamFramer(65535);
  const two = Buffer.concat([Buffer.from('\r\n\r\n'), INVITE, INVITE]);
  const events = [...f.push(two.subarray(0, 100)), ...f.push(two.subarray(100, 1000)), ...f.push(two.subarray(1000))];
  assert.equal(
    events.map((e) => e.type),
    ['keepalive', 'message', 'message'],
  );
  const small = new SipStreamFramer(2048);
  const ev = small.push(INVITE);
  assert.is(ev[0].type, 'error');
  const noCl = new SipStreamFramer(2048).push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n'));
  assert.ok(noCl[0].type === 'error' && noCl[0].code === 'SIP_BAD_CONTENT_LENGTH');
});

test('responses copy Via/From/To/Call-ID/CSeq, add To-tag and received/rport', () => {
  const r = parseSipMessage(INVITE, LIMITS);
  if (!r.ok || r.message.kind !== 'request') throw new Error('parse');
  const res = parseSipMessage(
    buildResponse(r.message, 200, 'OK', { toTag: 'abc', remote: { address: '10.9.9.9', port: 5099 } }),
    LIMITS,
  );
  if (!res.ok) throw new Error('reparse');
  assert.match(headerValue(res.message, 'via')!, /;rport=5099/);
  assert.match(headerValue(res.message, 'via')!, /;received=10\.9\.9\.9/);
  assert.match(headerValue(res.message, 'to')!, /;tag=abc$/);
  assert.is(headerValue(res.message, 'call-id'), 'abc@h');
  assert.is(headerValue(res.message, 'cseq'), '1 INVITE');
});

test('fuzz: 20,000 mutated SIP messages never throw and always yield a result', () => {
  // Seeded so a fuzz failure reproduces.
  const rnd = seededRandom(0xc0ffee);
  const tokens = [
    ':',
    '\r\n',
    '\r\n\r\n',
    ';',
    ',',
    '<',
    '>',
    '"',
    'SIP/2.0',
    ' ',
    '\t',
    '\0',
    'Content-Length: 99999',
    'Via:',
    '%',
  ];
  let ok = 0;
  for (let i = 0; i < 20000; i++) {
    const buf = Buffer.from(INVITE);
    let b: Buffer = buf;
    const ops = 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < ops; k++) {
      const pos = Math.floor(rnd() * b.length);
      const op = Math.floor(rnd() * 5);
      if (op === 0) b[pos] = Math.floor(rnd() * 256);
      else if (op === 1)
        b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + Math.floor(rnd() * 50)))]);
      else if (op === 2)
        b = Buffer.concat([
          b.subarray(0, pos),
          Buffer.from(tokens[Math.floor(rnd() * tokens.length)]),
          b.subarray(pos),
        ]);
      else if (op === 3) b = b.subarray(0, pos);
      else b = Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + 40), b.subarray(pos)]);
    }
    const r = parseSipMessage(b, LIMITS);
    assert.type(r.ok, 'boolean');
    if (r.ok) ok++;
    else assert.type(r.code, 'string');
    if (r.ok && r.message.kind === 'request') {
      // Structured header parsers must be just as robust on whatever survived.
      for (const v of headerValues(r.message, 'via')) parseVia(v);
      parseNameAddr(headerValue(r.message, 'from') ?? '');
      parseCSeq(headerValue(r.message, 'cseq') ?? '');
    }
  }
  assert.ok(ok > 0 && ok < 20000, `a mix of accepted and rejected inputs (accepted ${ok})`);
});

test.run();
