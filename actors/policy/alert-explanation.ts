import { INTENTS, type IntentName } from '../speech/intent-lexicon.js';
import { heardIntents } from './content-cues.js';
import type { PolicyCues } from './policy-types.js';

/**
 * The human part of an alert: one short sentence built from the cues that drove the risk, and what to do. It goes into
 * an SMS, so it is plain ASCII (GSM-7 safe: letters, digits, space, , ; . and no brackets/curly quotes) and at most
 * EXPLANATION_MAX_CHARS characters: clauses are dropped from the least important end until it fits.
 */

export const EXPLANATION_MAX_CHARS = 120;

/** Recommended actions of the first alert. */
export const ALERT_ACTIONS: readonly string[] = Object.freeze([
  'Hang up',
  'Do not share codes or pay',
  'Call your bank on a number you know',
]);
/** Recommended actions of the escalated alert. */
export const ESCALATION_ACTIONS: readonly string[] = Object.freeze([
  'Hang up now',
  'Do not share codes, passwords or pay anything',
  'Call your bank on a number you know',
]);

/** Recommended actions of an alert raised on what the caller asked for. */
export const CONTENT_ACTIONS: readonly string[] = Object.freeze([
  'Hang up',
  'Do not share codes or passwords, do not pay or move money',
  'Call your bank or the police on a number you know',
]);

/** Who the other party claimed to be, by authority intent. */
const AUTHORITY_NAMES: Readonly<Record<string, string>> = {
  'authority.bank': 'your bank',
  'authority.police': 'the police',
  'authority.tax': 'a tax or benefits office',
  'authority.tech': 'tech support',
  'authority.delivery': 'a delivery firm',
};
/** What was asked, strongest first, with the line that says why it gives the scam away. */
const ASKS: ReadonlyArray<readonly [IntentName, string, string]> = [
  ['ask.code', 'asked for a code', 'Banks never ask for codes.'],
  ['pay.transfer', 'asked you to move money', 'No bank or police asks you to move money to keep it safe.'],
  ['pay.giftcard', 'asked for gift cards', 'No real company takes payment in gift cards.'],
  ['pay.crypto', 'asked for crypto', 'No real office asks for payment in crypto.'],
  ['pay.remote', 'asked to access your device', 'Never let a caller into your device.'],
  ['ask.credentials', 'asked for card or login details', 'Never give card details or passwords to a caller.'],
];
const PRESSURES: ReadonlyArray<readonly [IntentName, string]> = [
  ['secrecy', 'told you to keep it secret'],
  ['threat', 'made threats'],
  ['urgency', 'rushed you'],
];

/**
 * The explanation of an alert raised on what the other party said, e.g. "Caller claimed to be your bank and asked for
 * a code. Banks never ask for codes." Names intents only, never the words heard.
 */
export function buildContentExplanation(c: PolicyCues, level: 'alert' | 'escalation'): string {
  const subject = c.otherRole === 'caller' ? 'Caller' : 'The other person';
  const heard = new Set(heardIntents(c.intentMask));
  const authority = c.authorityKind > 0 ? AUTHORITY_NAMES[INTENTS[c.authorityKind - 1]] : undefined;
  const asks = ASKS.filter(([i]) => heard.has(i));
  const pressures = PRESSURES.filter(([i]) => heard.has(i)).map(([, p]) => p);
  const claim = authority ? `claimed to be ${authority} and ` : '';
  const ask = asks.length ? asks[0][1] : (pressures.shift() ?? 'used scam phrases');
  const why = asks.length ? ` ${asks[0][2]}` : '';
  const prefix = level === 'escalation' ? 'Still high risk: ' : '';
  const candidates = [
    `${prefix}${subject} ${claim}${ask}${pressures.length ? ` and ${pressures[0]}` : ''}.${why}`,
    `${prefix}${subject} ${claim}${ask}.${why}`,
    `${subject} ${claim}${ask}.${why}`,
    `${subject} ${ask}.${why}`,
    `${subject} ${ask}.`,
  ];
  for (const s of candidates) if (s.length <= EXPLANATION_MAX_CHARS) return toGsmSafe(s);
  return toGsmSafe(candidates[candidates.length - 1]).slice(0, EXPLANATION_MAX_CHARS);
}

/** Cue strengths (0..1, smoothed) from which a cue is named in the explanation. */
const NAMED = 0.4;

function duration(seconds: number): string {
  if (seconds >= 90) return `${Math.round(seconds / 60)} min`;
  if (seconds >= 30) return `${Math.round(seconds / 5) * 5} s`;
  return `${Math.max(1, Math.round(seconds))} s`;
}

/**
 * The explanation sentence for these cues, e.g. "Caller sounded angry and urgent for 40 s and did most of the talking;
 * you sounded afraid."
 */
export function buildExplanation(c: PolicyCues, level: 'alert' | 'escalation'): string {
  const subject = c.otherRole === 'caller' ? 'Caller' : 'The other person';
  // Adjectives for the pressure, strongest first.
  const adj: Array<[string, number]> = [];
  if (c.modelCoverage >= 0.3 && c.anger >= 0.3) adj.push(['angry', c.anger + 0.5]);
  if (c.speechRate >= NAMED) adj.push(['urgent', c.speechRate]);
  if (c.loudness >= NAMED) adj.push(['loud', c.loudness]);
  if (c.pitchRaise >= NAMED) adj.push(['tense', c.pitchRaise]);
  if (adj.length === 0) adj.push(['pushy', 0]);
  adj.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const words = adj.slice(0, 2).map((a) => a[0]);
  const forWhat = c.pressureSeconds >= 5 ? ` for ${duration(c.pressureSeconds)}` : '';
  const head = `${subject} sounded ${words.join(' and ')}${forWhat}`;
  const extras: string[] = [];
  if (c.dominance >= 0.5) extras.push('did most of the talking');
  if (c.overlap >= 0.5) extras.push('talked over you');
  const tail =
    c.distress >= NAMED && c.distressSeconds >= 3 ? `you sounded ${c.fear >= c.sadness ? 'afraid' : 'upset'}` : '';
  const prefix = level === 'escalation' ? 'Still high risk: ' : '';
  // Try the fullest sentence first, then drop extras, then the tail, then the prefix, then the second adjective.
  const candidates: string[] = [];
  for (let n = extras.length; n >= 0; n--) {
    const mid = n > 0 ? ` and ${extras.slice(0, n).join(' and ')}` : '';
    candidates.push(`${prefix}${head}${mid}${tail ? `; ${tail}` : ''}.`);
  }
  candidates.push(`${prefix}${head}.`, `${head}.`, `${subject} sounded ${words[0]}.`);
  for (const s of candidates) if (s.length <= EXPLANATION_MAX_CHARS) return toGsmSafe(s);
  return toGsmSafe(candidates[candidates.length - 1]).slice(0, EXPLANATION_MAX_CHARS);
}

/** Keep printable ASCII only (the sentence is built from ASCII, this is a belt-and-braces guard). */
function toGsmSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '').replace(/[[\]{}\\^~|]/g, '');
}
