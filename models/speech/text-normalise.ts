/**
 * Spoken-form text normalisation for the domain language model and the intent lexicon: lower case, digits spelled
 * out, punctuation dropped (apostrophes inside words kept: "don't"), template placeholders such as "[Name]" removed.
 * The recogniser emits words in this form, so the corpus, the lexicon and the evaluation all go through here.
 */

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/**
 * A number as spoken: up to 9999 as words ("four hundred and twelve"), longer digit runs digit by digit (phone numbers,
 * codes).
 */
export function spellNumber(digits: string): string {
  if (digits.length > 4 || (digits.length > 1 && digits.startsWith('0')))
    return [...digits].map((d) => ONES[Number(d)]).join(' ');
  const n = Number(digits);
  if (n < 10) return ONES[n];
  if (n < 20) return TEENS[n - 10];
  if (n < 100) return TENS[Math.floor(n / 10)] + (n % 10 ? ' ' + ONES[n % 10] : '');
  if (n < 1000) return ONES[Math.floor(n / 100)] + ' hundred' + (n % 100 ? ' and ' + spellNumber(String(n % 100)) : '');
  if (n % 1000 === 0) return ONES[n / 1000] + ' thousand';
  if (n >= 1100 && n < 2000 + 100 && n % 100 === 0) return spellNumber(String(n / 100)) + ' hundred';
  return ONES[Math.floor(n / 1000)] + ' thousand' + (n % 1000 < 100 ? ' and ' : ' ') + spellNumber(String(n % 1000));
}

/** Sentences of a text in spoken form; each a list of lower-case words. Empty sentences are dropped. */
export function spokenSentences(text: string): string[][] {
  const cleaned = text
    .replace(/\[[^\]]*\]/g, ' ') // template placeholders
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/[$£€](\d+)/g, '$1 dollars ')
    .replace(/(\d+)%/g, '$1 percent')
    .replace(/&/g, ' and ')
    .replace(/[’‘`]/g, "'");
  const out: string[][] = [];
  for (const part of cleaned.split(/[.!?;:\n\r]+/)) {
    const words = spokenWords(part);
    if (words.length) out.push(words);
  }
  return out;
}

/** The words of one utterance in spoken form (no sentence split). */
export function spokenWords(text: string): string[] {
  const words: string[] = [];
  const s = text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/(\d)[,.](?=\d)/g, '$1')
    .replace(/\d+/g, (d) => ` ${spellNumber(d)} `);
  for (const raw of s.split(/[^a-z']+/)) {
    const w = raw.replace(/^'+|'+$/g, '');
    if (w) words.push(w);
  }
  return words;
}
