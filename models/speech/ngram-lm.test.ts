import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildArpa } from './ngram-lm.js';
import { spellNumber, spokenSentences, spokenWords } from './text-normalise.js';

/** Read an ARPA text back and give P(w | history) by the backoff rule PocketSphinx applies. */
function reader(arpa: string) {
  const p = new Map<string, number>();
  const bow = new Map<string, number>();
  let order = 0;
  for (const line of arpa.split('\n')) {
    const m = /^\\(\d)-grams:$/.exec(line);
    if (m) {
      order = Number(m[1]);
      continue;
    }
    if (!order || !line.trim() || line.startsWith('\\')) continue;
    const parts = line.split('\t');
    const words = parts[1];
    p.set(words, 10 ** Number(parts[0]));
    if (parts[2] !== undefined) bow.set(words, 10 ** Number(parts[2]));
  }
  const prob = (h: string[], w: string): number => {
    const k = [...h, w].join(' ');
    if (p.has(k)) return p.get(k)!;
    if (!h.length) return 0;
    return (bow.get(h.join(' ')) ?? 1) * prob(h.slice(1), w);
  };
  return { prob, unigrams: [...p.keys()].filter((k) => !k.includes(' ')) };
}

test('the backoff trigram model is normalised for every history, after pruning', () => {
  const corpus = [
    {
      sentences: [
        'please read me the code',
        'read me the code now',
        'the code we sent',
        'do not tell anyone',
        'do not hang up',
        'please do not tell anyone',
      ].map((s) => s.split(' ')),
      weight: 1,
    },
    { sentences: ['the door code is four', 'see you at the door'].map((s) => s.split(' ')), weight: 3 },
  ];
  const { arpa, vocabulary, counts } = buildArpa(corpus, { minTrigramCount: 2 });
  const r = reader(arpa);
  assert.ok(vocabulary.includes('code') && !vocabulary.includes('<s>'));
  assert.is(counts[0], vocabulary.length + 2, '<s> and </s> besides the words');
  const targets = r.unigrams.filter((w) => w !== '<s>');
  for (const h of [
    ['<s>'],
    ['the'],
    ['read', 'me'],
    ['do', 'not'],
    ['zzz'].filter(() => false),
    ['code'],
    ['me', 'the'],
  ]) {
    const sum = targets.reduce((s, w) => s + r.prob(h, w), 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `P(. | ${h.join(' ')}) sums to ${sum}`);
  }
  assert.ok(r.prob(['read', 'me'], 'the') > r.prob(['read', 'me'], 'door'), 'seen continuations beat unseen ones');
});

test('spoken form: numbers spelled, digit strings read digit by digit, placeholders and punctuation dropped', () => {
  assert.is(spellNumber('620'), 'six hundred and twenty');
  assert.is(spellNumber('4512'), 'four thousand five hundred and twelve');
  assert.is(spellNumber('0207'), 'zero two zero seven');
  assert.equal(spokenWords("Don't hang up, it's £50!"), ["don't", 'hang', 'up', "it's", 'fifty']);
  assert.equal(spokenSentences('[Greetings], this is Bank. Call 855-228 now.'), [
    ['this', 'is', 'bank'],
    ['call', 'eight', 'hundred', 'and', 'fifty', 'five', 'two', 'hundred', 'and', 'twenty', 'eight', 'now'],
  ]);
});

test.run();
