import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_FRONT_END,
  LIVE_WINDOW_HOP_SECONDS,
  frontEndGeometry,
} from '../../actors/features/front-end-config.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import { requireSpeechTools, spokenCall } from '../../test/support/spoken-audio.js';
import { selectBackend } from '../runtime/backend.js';
import { loadModelDir } from '../runtime/model-files.js';
import { shippedSpotterDir } from '../runtime/shipped-model.js';
import { asteriskPrompts } from '../speech/eval/evaluate-content.js';
import { windowScores } from './evaluate-spotter.js';
import { KEYWORD_NAMES } from './keywords.js';
import { findPhrases, windowLabels } from './spotter-data.js';

test('keyword phrases are found longest first, as word ranges', () => {
  const p = findPhrases('Please buy three Google Play cards, and do not tell anyone at the bank');
  assert.equal(
    p.phrases.map((x) => [KEYWORD_NAMES[x.cls], x.from, x.to]),
    [
      ['giftcard', 3, 6],
      ['secrecy', 7, 11],
    ],
  );
  assert.equal(findPhrases('the dentist moved your appointment to friday').phrases, []);
});

test('window labels: inside is 1, untouched is 0, cut by an edge is unknown (-1)', () => {
  const out = new Float32Array(KEYWORD_NAMES.length);
  const spans = [{ cls: 0, start: 1.0, end: 1.5 }];
  windowLabels(spans, 50, 200, KEYWORD_NAMES.length, out);
  assert.is(out[0], 1);
  windowLabels(spans, 120, 200, KEYWORD_NAMES.length, out);
  assert.is(out[0], -1);
  windowLabels(spans, 200, 200, KEYWORD_NAMES.length, out);
  assert.is(out[0], 0);
  assert.ok(out.every((v) => v === 0));
});

// The shipped spotter on speech it never trained on: a flite voice (training used espeak-ng and festival only) and
// the Asterisk prompts (a real voice).
const theShippedSpotterHearsTitle =
  'the shipped spotter hears "gift cards" in a flite voice over G.711 above nearly all of a real voice\'s benign ' +
  'IVR prompts';
test(theShippedSpotterHearsTitle, async () => {
  requireSpeechTools();
  await selectBackend({ prefer: ['wasm'], logger: { info: () => undefined, warn: () => undefined } });
  // Windows as the live engine cuts them (2 s, one a second).
  const g = frontEndGeometry({ ...DEFAULT_FRONT_END, windowHopSeconds: LIVE_WINDOW_HOP_SECONDS });
  const { model, manifest } = await loadModelDir(shippedSpotterDir(), g.cfg);
  assert.equal(manifest.labels, [...KEYWORD_NAMES]);
  const { audio } = spokenCall(
    ['You must pay the fine today with gift cards.', 'Go to the supermarket and buy three Google Play gift cards.'],
    'flite:awb',
  );
  const { max } = windowScores(model, manifest, g, audio.channels[0]);
  const gift = KEYWORD_NAMES.indexOf('giftcard');
  assert.ok(max[gift] >= 0.5, `giftcard scored ${max[gift].toFixed(3)}`);
  const prompts = asteriskPrompts().slice(0, 40);
  assert.ok(prompts.length >= 30, 'Asterisk prompts are installed');
  const pcm = prompts.map((p) => parseWav(readFileSync(p.file)).channels[0]);
  const joined = new Int16Array(pcm.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of pcm) {
    joined.set(x, o);
    o += x.length;
  }
  const { perWindow } = windowScores(model, manifest, g, joined);
  const above = perWindow.filter((w) => w[gift] >= max[gift]).length;
  // The gift-card sentence outscores at least 95 % of the prompts' windows on its class; a spotter that fires on
  // everything, or hears nothing, fails. (Measured figures: models/spotter-en-v1/EVALUATION.md.)
  assert.ok(
    above / perWindow.length <= 0.05,
    `${above} of ${perWindow.length} benign windows score giftcard >= ${max[gift].toFixed(3)}`,
  );
  model.dispose();
});

test.run();
