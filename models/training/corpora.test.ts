import { readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTION_LABELS } from '../runtime/manifest.js';
import { TRAINING_LABELS, type Clip } from './clip.js';
import { CORPUS_IDS, capPerCell, countsByCorpus, loadCorpora, parseCaps, parseCorpusList } from './corpora.js';
import { corpusFolds, pooledSpeakerFolds } from './corpus-folds.js';
import { EMOVO_DIR, loadEmovo, parseEmovoName } from './emovo.js';
import { NEMO_DIR, parseNemoName, readNemoTable } from './nemo.js';
import { RAVDESS_DIR, loadRavdess, parseRavdessName } from './ravdess.js';

/** Loaders on the real telephone-band copies in /work/shared/data: names, mapping to Emo-DB's classes, counts. */

test('RAVDESS names: emotion code, intensity, actor and sex; calm and surprised have no Emo-DB class', () => {
  assert.equal(parseRavdessName('03-01-05-02-01-01-07.wav'), {
    speaker: 'ravdess-07',
    sex: 'm',
    emotion: 'anger',
    trainingOnly: null,
    code: '05',
    intensity: 'strong',
    text: '01',
    version: '01',
  });
  assert.is(parseRavdessName('03-01-06-01-02-02-12.wav')!.emotion, 'fear');
  assert.is(parseRavdessName('03-01-06-01-02-02-12.wav')!.sex, 'f');
  assert.is(parseRavdessName('03-01-02-01-01-01-01.wav')!.emotion, null);
  assert.is(parseRavdessName('03-01-08-02-01-01-01.wav')!.emotion, null);
  assert.is(parseRavdessName('03-02-05-01-01-01-01.wav'), null, 'song files are not speech');
  assert.is(parseRavdessName('README.md'), null);
});

const ravdessLoaderActorsCalmTitle =
  'RAVDESS loader: 24 actors, calm/surprised dropped, per-class counts of the copy (6 of 1,440 files missing)';
test(ravdessLoaderActorsCalmTitle, () => {
  const clips = loadRavdess();
  const c = countsByCorpus(clips).ravdess;
  assert.is(c.speakers, 24);
  assert.equal(c.byEmotion, { neutral: 96, happiness: 191, sadness: 192, anger: 192, fear: 191, disgust: 192 });
  const names = readdirSync(RAVDESS_DIR)
    .map(parseRavdessName)
    .filter((n) => n);
  assert.is(names.filter((n) => n!.emotion === null).length + clips.length, names.length);
  assert.ok(clips.every((x) => x.sampleRate === 8000 && x.pcm.length > 8000 && EMOTION_LABELS[x.label] === x.emotion));
});

test('EMOVO names and loader: 6 speakers, 84 clips per class, surprise dropped', () => {
  assert.equal(parseEmovoName('rab-m2-b1.wav'), {
    speaker: 'emovo-m2',
    sex: 'm',
    emotion: 'anger',
    trainingOnly: null,
    code: 'rab',
    text: 'b1',
  });
  assert.is(parseEmovoName('pau-f1-n5.wav')!.emotion, 'fear');
  assert.is(parseEmovoName('gio-f3-l2.wav')!.emotion, 'happiness');
  assert.is(parseEmovoName('sor-f1-b1.wav')!.emotion, null);
  assert.is(parseEmovoName('README.md'), null);
  const c = countsByCorpus(loadEmovo()).emovo;
  assert.is(c.speakers, 6);
  assert.equal(c.byEmotion, { disgust: 84, happiness: 84, neutral: 84, fear: 84, anger: 84, sadness: 84 });
  assert.is(readdirSync(EMOVO_DIR).filter((f) => f.startsWith('sor-')).length, 84);
});

test('nEMO: data.tsv agrees with the file names; 9 speakers; surprised has no Emo-DB class', () => {
  assert.equal(parseNemoName('EB0_anger_12.wav'), {
    speaker: 'nemo-EB0',
    source: 'anger',
    emotion: 'anger',
    take: '12',
  });
  assert.is(parseNemoName('WR0_surprised_64.wav')!.emotion, null);
  assert.is(parseNemoName('data.tsv'), null);
  const rows = readNemoTable();
  assert.is(rows.length, 4481);
  assert.is(new Set(rows.map((r) => r.speaker)).size, 9);
  const by: Record<string, number> = {};
  for (const r of rows) by[r.source] = (by[r.source] ?? 0) + 1;
  assert.equal(by, { surprised: 669, neutral: 809, anger: 749, fear: 736, happiness: 749, sadness: 769 });
  assert.is(rows.find((r) => r.speaker === 'nemo-KS0')!.sex, 'm');
  assert.is(rows.find((r) => r.speaker === 'nemo-EB0')!.sex, 'f');
  assert.is(readdirSync(NEMO_DIR).filter((f) => parseNemoName(f)).length, 4481);
});

function meta(corpus: Clip['corpus'], speaker: string, emotion: Clip['emotion'], i: number): Clip {
  return {
    corpus,
    file: `${speaker}-${emotion}-${i}.wav`,
    speaker,
    sex: 'm',
    text: '',
    emotion,
    label: TRAINING_LABELS.indexOf(emotion),
    version: '',
    sampleRate: 8000,
    pcm: new Int16Array(0),
  };
}

test('capPerCell keeps at most N per speaker and emotion, depends on the seed only, keeps order', () => {
  const clips = [...Array(10)].flatMap((_, i) => [
    meta('nemo', 'nemo-A', 'anger', i),
    meta('nemo', 'nemo-A', 'fear', i),
    meta('nemo', 'nemo-B', 'anger', i),
  ]);
  const a = capPerCell(clips, 3, 1);
  assert.is(a.length, 9);
  assert.equal(a, capPerCell([...clips].reverse(), 3, 1).reverse());
  assert.not.equal(
    a.map((c) => c.file),
    capPerCell(clips, 3, 2).map((c) => c.file),
  );
  assert.equal(
    a,
    clips.filter((c) => a.includes(c)),
  );
  assert.equal(parseCaps('ravdess:3,nemo:8'), { ravdess: 3, nemo: 8 });
  assert.equal(parseCorpusList('emodb,nemo'), ['emodb', 'nemo']);
  assert.throws(() => parseCorpusList('iemocap'));
  assert.equal([...CORPUS_IDS], ['emodb', 'ravdess', 'emovo', 'nemo']);
});

const pooledFoldsEmoDbTitle =
  'pooled folds: Emo-DB one speaker per fold, every speaker held out exactly once; corpus folds: whole corpora';
test(pooledFoldsEmoDbTitle, () => {
  const clips: Clip[] = [];
  for (const s of ['03', '08', '09', '11', '12', '13', '15', '16']) clips.push(meta('emodb', s, 'anger', 0));
  for (let a = 1; a <= 24; a++) clips.push(meta('ravdess', `ravdess-${String(a).padStart(2, '0')}`, 'anger', 0));
  for (const s of ['f1', 'f2', 'f3', 'm1', 'm2', 'm3']) clips.push(meta('emovo', `emovo-${s}`, 'anger', 0));
  for (const s of ['EB0', 'IC0', 'KD0', 'KS0', 'MK0', 'MP0', 'SM0', 'TP0', 'WR0'])
    clips.push(meta('nemo', `nemo-${s}`, 'anger', 0));
  const folds = pooledSpeakerFolds(clips);
  assert.is(folds.length, 8);
  assert.equal(
    folds.map((f) => f.heldOut[0]),
    ['03', '08', '09', '11', '12', '13', '15', '16'],
  );
  const all = folds.flatMap((f) => f.heldOut);
  assert.is(all.length, clips.length);
  assert.is(new Set(all).size, clips.length);
  const loco = corpusFolds(clips);
  assert.equal(
    loco.map((f) => [f.name, f.heldOut.length]),
    [
      ['emodb held out', 8],
      ['emovo held out', 6],
      ['nemo held out', 9],
      ['ravdess held out', 24],
    ],
  );
});

const trainingOnlyTitle =
  'training-only classes on request: RAVDESS calm + surprise, EMOVO and nEMO surprise, labels 7 and 8; Emo-DB as before';
test(trainingOnlyTitle, () => {
  assert.is(parseRavdessName('03-01-02-01-01-01-01.wav')!.trainingOnly, 'calm');
  assert.is(parseRavdessName('03-01-08-02-01-01-01.wav')!.trainingOnly, 'surprise');
  assert.is(parseEmovoName('sor-f1-b1.wav')!.trainingOnly, 'surprise');
  const clips = loadCorpora(['emodb', 'ravdess', 'emovo', 'nemo'], { nemo: 2 }, 1, true);
  const c = countsByCorpus(clips);
  assert.is(c.ravdess.byEmotion.calm, 189, '3 of 192 calm files are missing from the copy');
  assert.is(c.ravdess.byEmotion.surprise, 191);
  assert.is(c.emovo.byEmotion.surprise, 84);
  assert.is(c.nemo.byEmotion.surprise, 16, '2 per speaker; MK0 recorded none');
  assert.is(c.emodb.clips, 428);
  assert.ok(clips.every((x) => TRAINING_LABELS[x.label] === x.emotion));
  assert.equal([...new Set(clips.filter((x) => x.label >= 7).map((x) => x.emotion))].sort(), ['calm', 'surprise']);
  assert.ok(
    loadCorpora(['ravdess', 'emovo'], {}, 1).every((x) => x.label < EMOTION_LABELS.length),
    'off by default',
  );
});

test.run();
