import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWav } from '../../engine/media/wav-reader.js';
import { asteriskPrompts, wordErrors } from '../../models/speech/eval/evaluate-content.js';
import { spokenWords } from '../../models/speech/text-normalise.js';
import { requireSpeechTools, script, spokenCall } from '../../test/support/spoken-audio.js';
import { mergeArgs } from './leg-recogniser.js';
import { recogniseLeg } from './offline-recognition.js';
import { loadPocketSphinx } from './pocketsphinx.js';
import { speechModelFiles } from './speech-model.js';

// Real recognition on real audio: PocketSphinx (Debian) with the shipped domain LM, on TTS speech through G.711 and
// on the Asterisk prompts (a real voice). .ci/run installs pocketsphinx, pocketsphinx-en-us, flite, sox and the
// Asterisk sounds; without them these tests fail with the install hint, they do not skip.
function files() {
  const ps = loadPocketSphinx();
  if ('error' in ps) assert.unreachable(ps.error);
  requireSpeechTools();
  return speechModelFiles();
}

const aCalmBankFraudTitle =
  'a calm bank-fraud script read by a TTS voice over G.711: the code request and the secrecy are heard, with times ' +
  'inside the call';
test(aCalmBankFraudTitle, () => {
  const s = script('scam-bank-code');
  const { audio } = spokenCall(s.sentences, 'flite:awb');
  const r = recogniseLeg(files(), audio.channels[0], audio.sampleRate, { keepWords: true });
  const heard = new Set(r.intents.map((h) => h.intent));
  assert.ok(heard.has('ask.code'), `heard ${[...heard].join(', ')}`);
  for (const h of r.intents) {
    assert.ok(
      h.t > 0 && h.t <= audio.durationSeconds + 0.01,
      `${h.intent} at ${h.t} in a ${audio.durationSeconds} s call`,
    );
    assert.ok(h.availableAt >= h.t - 0.05, 'an intent is produced after its last word');
    assert.ok(h.confidence >= 0 && h.confidence <= 1);
    assert.ok(h.words && h.words.length > 0, 'keepWords returns the matched words');
  }
  assert.ok(r.cpuSeconds > 0 && r.audioSeconds > 10);
});

test('a benign dentist reminder with a door code yields no code request', () => {
  const s = script('benign-dentist-door-code');
  const { audio } = spokenCall(s.sentences, 'flite:rms');
  const r = recogniseLeg(files(), audio.channels[0], audio.sampleRate);
  assert.not.ok(
    r.intents.some((h) => h.intent === 'ask.code'),
    `heard ${r.intents.map((h) => h.intent).join(', ')}`,
  );
  assert.not.ok(
    r.intents.some((h) => h.words),
    'no words without keepWords',
  );
});

const theAsteriskPromptsATitle =
  'the Asterisk prompts (a real voice at 8 kHz, never used for adaptation), back to back as one call: recognised ' +
  'well above chance, and better with the channel adaptation than without';
test(theAsteriskPromptsATitle, () => {
  const f = files();
  assert.ok(f.mllr, 'the shipped speech model carries its channel adaptation (mllr_matrix)');
  const prompts = asteriskPrompts()
    .filter((p) => spokenWords(p.text).length >= 4)
    .slice(0, 40);
  assert.ok(
    prompts.length >= 30,
    'Asterisk prompts with texts are installed (asterisk-core-sounds-en-wav, asterisk-core-sounds-en)',
  );
  const dir = mkdtempSync(join(tmpdir(), 'cg-ast-'));
  try {
    const wav = join(dir, 'prompts.wav');
    execFileSync('sox', [...prompts.map((p) => p.file), wav]);
    const a = parseWav(readFileSync(wav));
    const want = prompts.flatMap((p) => spokenWords(p.text));
    const werOf = (model: typeof f): { wer: number; hyp: string[] } => {
      const hyp: string[] = [];
      recogniseLeg(model, a.channels[0], a.sampleRate, { onUtterance: (w) => hyp.push(...w) });
      return { wer: wordErrors(want, hyp) / want.length, hyp };
    };
    const adapted = werOf(f);
    const { mllr: _mllr, ...unadapted } = f;
    const plain = werOf(unadapted);
    // A recogniser that heard nothing, or noise, scores 1.0; measured figures are in docs/SPOKEN-CONTENT.md.
    assert.ok(adapted.wer < 0.8, `word error rate ${adapted.wer.toFixed(2)} on ${want.length} words`);
    assert.ok(adapted.wer < plain.wer, `adapted ${adapted.wer.toFixed(3)} against unadapted ${plain.wer.toFixed(3)}`);
    assert.ok(
      adapted.hyp.includes('password') && adapted.hyp.includes('number'),
      'the phone words of the prompts are heard',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const decoderArgumentsMergeATitle =
  'decoder arguments merge: a later value of a flag replaces the default (PocketSphinx refuses a flag twice)';
test(decoderArgumentsMergeATitle, () => {
  assert.equal(mergeArgs(['-lw', '8', '-fwdflat', 'no'], ['-mllr', '/m'], ['-fwdflat', 'yes']), [
    '-lw',
    '8',
    '-fwdflat',
    'yes',
    '-mllr',
    '/m',
  ]);
  const { mllr: _m, ...plain } = files();
  // The previous release's search on top of the defaults: accepted, not refused for a repeated flag.
  const { audio } = spokenCall(['Please read me the code.'], 'flite:awb');
  const r = recogniseLeg(plain, audio.channels[0], audio.sampleRate, {
    decoderArgs: ['-fwdflat', 'yes', '-lw', '6.5'],
  });
  assert.ok(r.audioSeconds > 1);
});

test.run();
