import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodePdu, encodePdu, PduFramer } from './codec.js';
import { classifyMo } from './mo.js';
import { isReceipt, messageIdCandidates, messageIdKey, parseReceipt, parseReceiptText } from './receipt.js';
import { parseSmscUrls } from './smsc-url.js';
import { senderAddress } from './address.js';
import { SmppError } from './errors.js';
import { relativeValidity } from './alert-service.js';

test('codec round-trips submit_sm with raw bytes and explicit data_coding', () => {
  const sm = Buffer.from([0x05, 0x00, 0x03, 1, 2, 1, 0x41]);
  const b = encodePdu('submit_sm', {
    sequence_number: 9,
    destination_addr: '4471',
    data_coding: 0,
    esm_class: 0x40,
    short_message: sm,
    validity_period: '000000003000000R',
  });
  const d = decodePdu(b);
  assert.ok(d.ok);
  if (!d.ok) return;
  assert.is(d.pdu.command, 'submit_sm');
  assert.is(d.pdu.data_coding, 0);
  assert.equal([...(d.pdu.short_message as Buffer)], [...sm]);
  assert.is(d.pdu.validity_period, '000000003000000R');
});

test('TLV C-strings stop at the TLV length instead of reading into the next TLV', () => {
  const b = encodePdu('deliver_sm', {
    sequence_number: 1,
    esm_class: 4,
    short_message: Buffer.alloc(0),
    message_state: 2,
  });
  // Append a receipted_message_id TLV without its NUL terminator, then another TLV.
  const tlv = Buffer.from([0x00, 0x1e, 0x00, 0x03, 0x41, 0x42, 0x43, 0x04, 0x27, 0x00, 0x01, 0x05]);
  const all = Buffer.concat([b.subarray(0, b.length - 5), tlv]);
  all.writeUInt32BE(all.length, 0);
  const d = decodePdu(all);
  assert.ok(d.ok);
  if (!d.ok) return;
  assert.is(d.pdu.receipted_message_id, 'ABC');
  assert.is(d.pdu.message_state, 5);
});

test('decodePdu never throws on hostile input', () => {
  const valid = encodePdu('submit_sm', { sequence_number: 3, short_message: Buffer.from('hello') });
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 3000; i++) {
    const len = 16 + Math.floor(rnd() * 80);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
    b.writeUInt32BE(len, 0);
    if (i % 2) {
      valid.copy(b, 0, 0, Math.min(valid.length, len));
      b.writeUInt32BE(len, 0);
    }
    const r = decodePdu(b);
    assert.type(r.ok, 'boolean');
  }
  assert.is(decodePdu(Buffer.alloc(3)).ok, false);
  const trunc = valid.subarray(0, 20);
  const t2 = Buffer.from(trunc);
  t2.writeUInt32BE(20, 0);
  assert.type(decodePdu(t2).ok, 'boolean');
});

test('framer cuts a stream at any chunking and reports bad lengths', () => {
  const a = encodePdu('enquire_link', { sequence_number: 1 });
  const b = encodePdu('submit_sm', { sequence_number: 2, short_message: Buffer.from('x') });
  const stream = Buffer.concat([a, b]);
  for (let cut = 1; cut < stream.length; cut++) {
    const f = new PduFramer();
    f.push(stream.subarray(0, cut));
    const out: Buffer[] = [];
    for (let n = f.next(); n; n = f.next()) if (!(n instanceof Error)) out.push(n);
    f.push(stream.subarray(cut));
    for (let n = f.next(); n; n = f.next()) if (!(n instanceof Error)) out.push(n);
    assert.is(out.length, 2);
  }
  const bad = new PduFramer();
  bad.push(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0]));
  assert.instance(bad.next(), Error);
});

test('receipts: TLVs win over text; text fallback; hex/decimal candidates', () => {
  const tlvPdu = {
    command: 'deliver_sm',
    command_id: 5,
    command_status: 0,
    sequence_number: 1,
    esm_class: 4,
    data_coding: 0,
    short_message: Buffer.from('id:999 stat:UNDELIV err:001'),
    receipted_message_id: 'ABC',
    message_state: 2,
  };
  assert.ok(isReceipt(tlvPdu));
  assert.equal(parseReceipt(tlvPdu), { messageId: 'ABC', state: 'DELIVRD', error: '001' });
  const textOnly = { ...tlvPdu, receipted_message_id: undefined, message_state: undefined };
  assert.equal(parseReceipt(textOnly), { messageId: '999', state: 'UNDELIV', error: '001' });
  assert.equal(
    parseReceiptText(
      'id:0A1B sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:EXPIRED err:027 text:x',
    ),
    { messageId: '0A1B', state: 'EXPIRED', error: '027' },
  );
  assert.is(parseReceiptText('hello there'), null);
  assert.is(parseReceipt({ ...textOnly, short_message: Buffer.from([0xff, 0x00]) }), null);
  assert.ok(messageIdCandidates('255').includes('ff'));
  assert.ok(messageIdCandidates('FF').includes('255'));
  assert.ok(messageIdCandidates('00FF').includes(messageIdKey('FF')));
  assert.not.ok(isReceipt({ ...tlvPdu, esm_class: 0 }));
});

test('MO classification', () => {
  assert.is(classifyMo('STOP'), 'opt-out');
  assert.is(classifyMo(' stop. '), 'opt-out');
  assert.is(classifyMo('Not scam'), 'not-scam');
  assert.is(classifyMo('NOT-SCAM!'), 'not-scam');
  assert.is(classifyMo('scam'), 'scam');
  assert.is(classifyMo('start'), 'opt-in');
  assert.is(classifyMo('who is this?'), 'other');
});

test('SMSC URLs: credentials, TLS, fail-over list, errors without passwords', () => {
  const eps = parseSmscUrls('smpp://cg:p%40ss@127.0.0.1:2775, ssmpp://cg2:secret@smsc.example.net?system_type=VMA');
  assert.equal(eps[0], { host: '127.0.0.1', port: 2775, tls: false, systemId: 'cg', password: 'p@ss' });
  assert.equal(eps[1], {
    host: 'smsc.example.net',
    port: 3550,
    tls: true,
    systemId: 'cg2',
    password: 'secret',
    systemType: 'VMA',
  });
  try {
    parseSmscUrls('http://cg:hunter2@host');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SmppError);
    assert.is((e as SmppError).code, 'CG_SMPP_CONFIG');
    assert.not.match((e as Error).message, 'hunter2');
  }
  assert.throws(
    () => parseSmscUrls(''),
    (e: SmppError) => e.code === 'CG_SMPP_CONFIG',
  );
});

test('sender TON/NPI autodetection and validity period', () => {
  assert.equal(senderAddress('ACME'), { addr: 'ACME', ton: 5, npi: 0 });
  assert.equal(senderAddress('+447700900123'), { addr: '447700900123', ton: 1, npi: 1 });
  assert.is(relativeValidity(30), '000000003000000R');
  assert.is(relativeValidity(1500), '000001010000000R');
});

test.run();
