import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { legPcm, planSpeechCall, type SpeechClip, type Voice } from './speech-call-plan.js';

/** Two speakers, each with takes of every voice; a take's samples all equal a code of speaker and voice. */
function clips(): SpeechClip[] {
  const out: SpeechClip[] = [];
  const voices: Voice[] = ['calm', 'anger', 'fear'];
  for (const [s, speaker] of ['a', 'b'].entries())
    for (const [v, voice] of voices.entries())
      for (const seconds of [2, 3])
        out.push({
          corpus: 'test',
          speaker,
          voice,
          file: `${speaker}-${voice}-${seconds}`,
          pcm: new Int16Array(seconds * 8000).fill(100 * (s + 1) + v + 1),
        });
  return out;
}

const aScamLikeCallTitle =
  'a scam-like call taking turns: calm for 10-30 s, then the caller angry and the callee afraid, one at a time';
test(aScamLikeCallTitle, () => {
  const c = clips();
  for (let seed = 1; seed <= 5; seed++) {
    const p = planSpeechCall(c, 'a', 'b', { kind: 'scam', conversation: 'turns', seed, scamSeconds: 60 });
    assert.ok(p.onsetSeconds !== null && p.onsetSeconds >= 10 && p.onsetSeconds <= 33, `onset ${p.onsetSeconds}`);
    assert.ok(Math.abs(p.durationSeconds - (p.onsetSeconds! + 60)) <= 3, `duration ${p.durationSeconds}`);
    const [caller, callee] = [legPcm(c, p, 0), legPcm(c, p, 1)];
    const at = (s: number) => Math.round(s * 8000);
    for (let i = 0; i < caller.length; i += 800) {
      // Never both talking; before the onset only calm takes (codes 101, 201), after it anger (102) and fear (203).
      assert.ok(caller[i] === 0 || callee[i] === 0, `both talking at ${i / 8000} s`);
      const code = caller[i] || callee[i];
      if (i < at(p.onsetSeconds!)) assert.ok(code === 101 || code === 201, `calm before the onset, got ${code}`);
      else assert.ok(code === 102 || code === 203, `scam-like after the onset, got ${code} at ${i / 8000} s`);
    }
  }
});

test('a calm call both talking: 10-20 minutes of calm takes on both legs, no onset; plans are reproducible', () => {
  const c = clips();
  const p = planSpeechCall(c, 'a', 'b', { kind: 'calm', conversation: 'overlapping', seed: 7 });
  assert.is(p.onsetSeconds, null);
  assert.ok(p.durationSeconds >= 600 && p.durationSeconds <= 1200, `duration ${p.durationSeconds}`);
  const [caller, callee] = [legPcm(c, p, 0), legPcm(c, p, 1)];
  assert.ok(caller.every((x) => x === 101));
  assert.ok(callee.every((x) => x === 201));
  assert.equal(planSpeechCall(c, 'a', 'b', { kind: 'calm', conversation: 'overlapping', seed: 7 }), p);
});

test('a speaker without the takes a call needs is refused by name', () => {
  const c = clips().filter((x) => !(x.speaker === 'b' && x.voice === 'fear'));
  assert.throws(
    () => planSpeechCall(c, 'a', 'b', { kind: 'scam', conversation: 'turns', seed: 1 }),
    /no fear takes of speaker b/,
  );
});

test.run();
