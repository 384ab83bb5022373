/** What a subscriber's reply (mobile-originated deliver_sm) asks for. Tolerant of case, spaces, punctuation. */
export type MoIntent = 'opt-out' | 'opt-in' | 'not-scam' | 'scam' | 'other';

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'CANCEL', 'QUIT', 'ARRET', 'ALTO']);
const OPT_IN = new Set(['START', 'UNSTOP', 'SUBSCRIBE']);
const NOT_SCAM = new Set(['NOTSCAM', 'NOTASCAM', 'NOSCAM']);
const SCAM = new Set(['SCAM', 'ITWASASCAM', 'YESSCAM']);

/** Classifies the reply text. */
export function classifyMo(text: string): MoIntent {
  const key = text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
  if (OPT_OUT.has(key)) return 'opt-out';
  if (OPT_IN.has(key)) return 'opt-in';
  if (NOT_SCAM.has(key)) return 'not-scam';
  if (SCAM.has(key)) return 'scam';
  return 'other';
}
