import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SPHINX_EN_US } from '../pronunciations.js';
import { readSendump, SendumpError, writeMixtureWeights } from './sendump.js';

// Debian's pocketsphinx-en-us (installed by .ci/run) ships the sendump this reads.
const sendump = () => readFileSync(join(SPHINX_EN_US.hmm, 'sendump'));

test("the en-us model's sendump decodes to mixture weights that sum to one per senone and stream", () => {
  const m = readSendump(sendump());
  assert.is(m.senones, 5126);
  assert.is(m.streams, 3);
  assert.is(m.codewords, 128);
  for (const s of [0, 1, 2500, 5125]) {
    for (let f = 0; f < m.streams; f++) {
      let sum = 0;
      for (let c = 0; c < m.codewords; c++) sum += m.weights[(s * m.streams + f) * m.codewords + c];
      // 8-bit quantisation of -log weights (shift 10) loses a little mass; a wrong layout would be far off.
      assert.ok(sum > 0.7 && sum < 1.3, `senone ${s} stream ${f}: weights sum to ${sum}`);
    }
  }
});

test("mixture_weights is SphinxTrain's s3 binary: header, byte-order magic, dimensions, then the floats", () => {
  const m = readSendump(sendump());
  const buf = writeMixtureWeights(m);
  const end = buf.indexOf('endhdr\n') + 7;
  assert.ok(buf.subarray(0, end).toString('latin1').startsWith('s3\nversion 1.0\n'));
  assert.is(end % 4, 0, 'data is 4-byte aligned');
  assert.is(buf.readInt32LE(end), 0x11223344);
  assert.equal(
    [buf.readUInt32LE(end + 4), buf.readUInt32LE(end + 8), buf.readUInt32LE(end + 12), buf.readUInt32LE(end + 16)],
    [5126, 3, 128, 5126 * 3 * 128],
  );
  assert.is(buf.length, end + 20 + 4 * 5126 * 3 * 128);
  assert.is(buf.readFloatLE(end + 20 + 4 * 7), m.weights[7]);
});

test('a truncated or foreign file is refused with CG_SENDUMP, not misread', () => {
  const full = sendump();
  for (const bad of [
    full.subarray(0, 3),
    full.subarray(0, full.length - 1),
    Buffer.from('not a sendump file at all, just text'),
  ]) {
    try {
      readSendump(bad);
      assert.unreachable('accepted a bad sendump');
    } catch (err) {
      assert.instance(err, SendumpError);
      assert.is((err as SendumpError).code, 'CG_SENDUMP');
    }
  }
});

test.run();
