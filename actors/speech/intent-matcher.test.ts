import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../test/support/repo-paths.js';
import { spokenWords } from '../../models/speech/text-normalise.js';
import { compilePhrase, IntentMatcher, LexiconError, type TimedWord } from './intent-matcher.js';

const words = (text: string): TimedWord[] =>
  spokenWords(text).map((w, i) => ({ word: w, confidence: 0.9, start: i * 0.3, end: i * 0.3 + 0.25 }));
const m = new IntentMatcher();
const heard = (text: string) => m.find(words(text)).map((h) => h.intent);

test('requests, claims, secrecy and payments are heard in what scammers say', () => {
  assert.ok(heard('please read me the six digit code we just sent you').includes('ask.code'));
  assert.ok(heard('this is the fraud department of your bank').includes('authority.bank'));
  assert.ok(heard("don't tell anyone about this call").includes('secrecy'));
  assert.ok(heard('do not hang up').includes('secrecy'));
  assert.ok(heard('move your savings to a safe account').includes('pay.transfer'));
  assert.ok(heard('buy google play cards at the store').includes('pay.giftcard'));
  assert.ok(heard('a warrant has been issued for your arrest').includes('threat'));
  assert.ok(heard('please install anydesk on your computer').includes('pay.remote'));
});

test('the same words in everyday use are not requests: door code, discount code, wifi password', () => {
  assert.not.ok(heard('the door code is four five one two').includes('ask.code'));
  assert.not.ok(heard('use the discount code at the checkout').includes('ask.code'));
  assert.not.ok(heard('your account is paid up thank you').some((i) => i.startsWith('ask.') || i.startsWith('pay.')));
  assert.not.ok(heard("don't tell mum it's a surprise party").includes('secrecy'));
  assert.not.ok(heard('the wifi password changed').includes('ask.credentials'));
});

test('a hit carries the times of its words and the mean confidence', () => {
  const w = words('hello please read me the code');
  w[3].confidence = 0.5;
  const [hit] = m.find(w).filter((h) => h.intent === 'ask.code');
  assert.ok(hit);
  assert.is(hit.start, w[2].start);
  assert.is(hit.end, w[5].end);
  assert.ok(hit.confidence < 0.9 && hit.confidence > 0.5);
});

test('bad phrases are refused when the lexicon compiles', () => {
  assert.throws(
    () => compilePhrase('* code'),
    (e: unknown) => e instanceof LexiconError,
  );
  assert.throws(
    () => compilePhrase('?maybe'),
    (e: unknown) => e instanceof LexiconError,
  );
  assert.throws(
    () => compilePhrase('Code!'),
    (e: unknown) => e instanceof LexiconError,
  );
  assert.equal(compilePhrase('read|tell ?me * code').length, 4);
});

test('everyday call texts: no ten-sentence stretch has an ask with a second kind of intent', () => {
  const lines = readFileSync(join(repoRoot, 'models/speech/corpus/everyday-calls.txt'), 'utf8')
    .split('\n')
    .filter(Boolean);
  let flagged = 0;
  for (let i = 0; i < lines.length; i += 10) {
    const cats = new Set<string>();
    let ask = false;
    for (const l of lines.slice(i, i + 10))
      for (const h of m.find(words(l))) {
        cats.add(h.intent.split('.')[0]);
        if (h.intent.startsWith('ask.') || h.intent.startsWith('pay.')) ask = true;
      }
    if (ask && cats.size >= 2) flagged++;
  }
  assert.ok(flagged <= 2, `${flagged} of ${Math.ceil(lines.length / 10)} stretches look like a scam`);
});

test.run();
