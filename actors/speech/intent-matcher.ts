/**
 * Finds scam intents in recognised words. Phrases (intent-lexicon.ts) compile once to token lists; matching walks
 * every start position with bounded backtracking (a gap spans at most two words), so a 30-word utterance costs a few
 * thousand comparisons. Robust to recognition errors the way a domain LM makes them: the recogniser's vocabulary is
 * the corpus', so errors are mostly in-vocabulary substitutions, and each intent has many short phrases rather than
 * one long one. A word's posterior weighs the hit's confidence.
 */
import { BLOCKED_BEFORE, INTENT_PHRASES, INTENTS, type IntentName } from './intent-lexicon.js';
import { CallguardError } from '../../common/errors.js';

type Token = { kind: 'word'; alts: ReadonlySet<string>; optional: boolean } | { kind: 'gap'; max: number };

interface CompiledPhrase {
  intent: IntentName;
  phrase: string;
  tokens: Token[];
  blocked: ReadonlySet<string> | null;
}

/** A word as the matcher reads it: text, confidence (0..1) and time (s, call time). */
export interface TimedWord {
  word: string;
  confidence: number;
  start: number;
  end: number;
}

/** One intent heard: which, when (s, call time of its last word), how sure, and the words (for analyze only). */
export interface IntentHit {
  intent: IntentName;
  start: number;
  end: number;
  confidence: number;
  phrase: string;
  words: string[];
}

export class LexiconError extends CallguardError<'CG_INTENT_LEXICON'> {
  override name = 'LexiconError';
  constructor(message: string) {
    super('CG_INTENT_LEXICON', message);
  }
}

/** Compile one phrase of the pattern language. */
export function compilePhrase(phrase: string): Token[] {
  const tokens: Token[] = [];
  for (const raw of phrase.trim().split(/\s+/)) {
    if (raw === '*') {
      tokens.push({ kind: 'gap', max: 2 });
      continue;
    }
    const optional = raw.startsWith('?');
    const alts = (optional ? raw.slice(1) : raw).split('|').filter(Boolean);
    if (!alts.length || alts.some((a) => !/^[a-z'-]+$/.test(a)))
      throw new LexiconError(`bad token "${raw}" in phrase "${phrase}"`);
    tokens.push({ kind: 'word', alts: new Set(alts), optional });
  }
  if (!tokens.some((t) => t.kind === 'word' && !t.optional))
    throw new LexiconError(`phrase "${phrase}" has no required word`);
  if (tokens[0].kind === 'gap' || tokens[tokens.length - 1].kind === 'gap')
    throw new LexiconError(`phrase "${phrase}" starts or ends with a gap`);
  return tokens;
}

/** Match tokens from word `i`; returns the index after the last matched word, or -1. */
function matchAt(tokens: Token[], t: number, words: readonly string[], i: number): number {
  if (t === tokens.length) return i;
  const tok = tokens[t];
  if (tok.kind === 'gap') {
    for (let skip = 0; skip <= tok.max && i + skip <= words.length; skip++) {
      const r = matchAt(tokens, t + 1, words, i + skip);
      if (r >= 0) return r;
    }
    return -1;
  }
  if (i < words.length && tok.alts.has(words[i])) {
    const r = matchAt(tokens, t + 1, words, i + 1);
    if (r >= 0) return r;
  }
  return tok.optional ? matchAt(tokens, t + 1, words, i) : -1;
}

/** The lexicon compiled: `find(words)` returns every intent heard, at most one hit per intent per call of find. */
export class IntentMatcher {
  private readonly phrases: CompiledPhrase[];

  constructor(lexicon: Readonly<Record<IntentName, readonly string[]>> = INTENT_PHRASES) {
    this.phrases = [];
    for (const intent of INTENTS) {
      const blocked = BLOCKED_BEFORE[intent];
      for (const phrase of lexicon[intent] ?? [])
        this.phrases.push({
          intent,
          phrase,
          tokens: compilePhrase(phrase),
          blocked: blocked ? new Set(blocked) : null,
        });
    }
  }

  /** Intents in a run of words (one utterance, or an utterance with the tail of the one before). */
  find(words: readonly TimedWord[]): IntentHit[] {
    const text = words.map((w) => w.word);
    const best = new Map<IntentName, IntentHit>();
    for (const p of this.phrases) {
      for (let i = 0; i < text.length; i++) {
        const j = matchAt(p.tokens, 0, text, i);
        if (j <= i) continue;
        if (p.blocked && (p.blocked.has(text[i - 1] ?? '') || text.slice(i, j).some((w) => p.blocked!.has(w))))
          continue;
        let conf = 0;
        for (let k = i; k < j; k++) conf += words[k].confidence;
        const hit: IntentHit = {
          intent: p.intent,
          start: words[i].start,
          end: words[j - 1].end,
          confidence: conf / (j - i),
          phrase: p.phrase,
          words: text.slice(i, j),
        };
        const prev = best.get(p.intent);
        if (!prev || hit.confidence > prev.confidence) best.set(p.intent, hit);
        break;
      }
    }
    return [...best.values()].sort((a, b) => a.end - b.end);
  }
}
