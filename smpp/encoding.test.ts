import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeGsm7, encodeGsm7, gsm7Length, isGsm7 } from './gsm7.js';
import { countParts, decodeShortMessage, encodeMessage, decodeUcs2 } from './message-parts.js';

test('GSM-7: basic and extension characters, extension counts two septets', () => {
  assert.ok(isGsm7('Hello @ £ Ñ'));
  assert.is(gsm7Length('abc'), 3);
  assert.is(gsm7Length('€[]'), 6);
  assert.is(gsm7Length('ção'), -1); // ã is not in the default alphabet
  const enc = encodeGsm7('a€_@');
  assert.equal([...enc], [0x61, 0x1b, 0x65, 0x11, 0x00]);
  assert.is(decodeGsm7(enc), 'a€_@');
});

test('GSM-7 decode never throws on hostile bytes', () => {
  assert.type(decodeGsm7(Buffer.from([0x1b])), 'string');
  assert.type(decodeGsm7(Buffer.from([0xff, 0x1b, 0x99])), 'string');
});

test('single part limits: 160 septets GSM, 70 units UCS-2', () => {
  const m160 = encodeMessage('a'.repeat(160), 1);
  assert.is(m160.parts.length, 1);
  assert.is(m160.dataCoding, 0);
  assert.is(m160.esmClass, 0);
  assert.is(encodeMessage('a'.repeat(161), 1).parts.length, 2);
  assert.is(encodeMessage('€'.repeat(80), 1).parts.length, 1); // 160 septets
  assert.is(encodeMessage('€'.repeat(81), 1).parts.length, 2);
  const u = encodeMessage('ж'.repeat(70), 1);
  assert.is(u.dataCoding, 8);
  assert.is(u.parts.length, 1);
  assert.is(encodeMessage('ж'.repeat(71), 1).parts.length, 2);
});

test('concatenated GSM parts: 153 septets, 8-bit ref UDH, escape never split', () => {
  const text = 'x'.repeat(152) + '€' + 'y'.repeat(10);
  const m = encodeMessage(text, 0xab);
  assert.is(m.parts.length, 2);
  assert.is(m.esmClass, 0x40);
  const [p1, p2] = m.parts;
  assert.equal([...p1.subarray(0, 6)], [5, 0, 3, 0xab, 2, 1]);
  assert.equal([...p2.subarray(0, 6)], [5, 0, 3, 0xab, 2, 2]);
  assert.is(p1.length - 6, 152); // the € (2 septets) did not fit at 152: moved whole to part 2
  assert.is(p1[p1.length - 1], 0x78);
  assert.is(decodeGsm7(p1.subarray(6)) + decodeGsm7(p2.subarray(6)), text);
  for (const p of m.parts) assert.ok(p.length - 6 <= 153);
});

test('concatenated UCS-2 parts: 67 units, surrogate pair never split', () => {
  const text = 'ж'.repeat(66) + '😀' + 'ж'.repeat(10);
  const m = encodeMessage(text, 7);
  assert.is(m.dataCoding, 8);
  assert.is(m.parts.length, 2);
  const body1 = m.parts[0].subarray(6);
  const body2 = m.parts[1].subarray(6);
  assert.is(body1.length, 132); // 66 units: the pair moved to part 2
  assert.is(decodeUcs2(body1) + decodeUcs2(body2), text);
  for (const p of m.parts) assert.ok((p.length - 6) / 2 <= 67);
});

test('one non-GSM character switches the whole message to UCS-2', () => {
  const m = encodeMessage('Hello ✓', 1);
  assert.is(m.dataCoding, 8);
  assert.is(decodeUcs2(m.parts[0]), 'Hello ✓');
});

test('countParts and decodeShortMessage with UDH', () => {
  assert.is(countParts('a'.repeat(306)), 2);
  assert.is(countParts('a'.repeat(307)), 3);
  const m = encodeMessage('z'.repeat(200), 3);
  assert.is(decodeShortMessage(m.parts[0], 0, 0x40), 'z'.repeat(153));
  assert.is(decodeShortMessage(Buffer.from([0x00, 0x53]), 8, 0), 'S');
  assert.is(decodeShortMessage(Buffer.from([0x05]), 0, 0x40), ''); // truncated UDH: no throw
});

test.run();
