/**
 * Alert wording: operator-branded, per language, built to fit `maxParts` concatenated GSM-7 parts
 * (2 by default). Text from the policy is folded to GSM-7 lookalikes first (curly quotes, dashes...) so one
 * stray character does not switch the whole alert to UCS-2 and double its cost; when the text is still
 * too long, the explanation is shortened, then the optional actions are dropped, never the safety notes.
 */
import { countParts } from './message-parts.js';

/** Wording for one language. `{brand}` is replaced by the operator brand. */
export interface AlertTemplate {
  headline: string;
  /** Action ids (as the policy sends them) to wording; unknown ids are used as literal text. */
  actions: Record<string, string>;
  defaultActions: string[];
  disclaimer: string;
  replyHint: string;
  optOutConfirmation: string;
  optInConfirmation: string;
}

export const DEFAULT_TEMPLATES: Record<string, AlertTemplate> = {
  en: {
    headline: '{brand} WARNING: this call may be a scam.',
    actions: {
      'hang-up': 'Hang up now.',
      'no-codes': 'Never share codes, PINs or passwords.',
      'no-payment': 'Do not pay or transfer money.',
      'call-bank': 'Call your bank on a number you know.',
    },
    defaultActions: ['hang-up', 'no-codes', 'no-payment', 'call-bank'],
    disclaimer: 'Automated warning, it may be wrong.',
    replyHint: 'Reply NOT SCAM if wrong, STOP to end alerts.',
    optOutConfirmation: '{brand}: you will no longer get scam-call alerts. Reply START to turn them back on.',
    optInConfirmation: '{brand}: scam-call alerts are on again. Reply STOP to turn them off.',
  },
};

export interface TemplateOptions {
  /** Operator brand shown first, e.g. "ACME Mobile". */
  brand: string;
  /** Fallback language when the alert names none or an unknown one. */
  language?: string;
  /** Extra or replacement wording per language. */
  templates?: Record<string, AlertTemplate>;
  /** Budget in concatenated parts (default 2). */
  maxParts?: number;
}

export interface AlertContent {
  explanation?: string;
  actions?: string[];
  language?: string;
}

const FOLD: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u00a0': ' ',
  '\u2022': '-',
  '\u00ab': '"',
  '\u00bb': '"',
};

/** Replaces typographic punctuation with GSM-7 equivalents and collapses whitespace. */
export function foldToGsm(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u00a0\u2022\u00ab\u00bb]/g, (c) => FOLD[c] ?? c)
    .replace(/\s+/g, ' ')
    .trim();
}

function pickTemplate(opts: TemplateOptions, language?: string): AlertTemplate {
  const all = { ...DEFAULT_TEMPLATES, ...(opts.templates ?? {}) };
  const base = (l?: string) => l?.toLowerCase().split(/[-_]/)[0];
  return (
    all[language ?? ''] ??
    all[base(language) ?? ''] ??
    all[opts.language ?? 'en'] ??
    all[base(opts.language) ?? ''] ??
    DEFAULT_TEMPLATES.en
  );
}

/** Shortens at a word boundary, marking the cut with "...". */
function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 3) return '';
  const cut = s.slice(0, max - 3);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > max / 2 ? cut.slice(0, sp) : cut).replace(/[\s.,;:]+$/, '')}...`;
}

/** Renders the alert SMS text within the part budget. */
export function renderAlertText(content: AlertContent, opts: TemplateOptions): string {
  const t = pickTemplate(opts, content.language);
  const brand = foldToGsm(opts.brand);
  const maxParts = opts.maxParts ?? 2;
  const headline = t.headline.replace('{brand}', brand).trim();
  let explanation = foldToGsm(content.explanation ?? '');
  if (explanation && !/[.!?]$/.test(explanation)) explanation += '.';
  // Free-text actions (the policy's "Hang up") are sentences in the SMS too: without a full stop they run together.
  const sentence = (x: string) => (x && !/[.!?]$/.test(x) ? `${x}.` : x);
  const actions = (content.actions?.length ? content.actions : t.defaultActions)
    .map((a) => sentence(foldToGsm(t.actions[a] ?? a)))
    .filter(Boolean);
  const build = (exp: string, acts: string[]) =>
    [headline, exp, ...acts, t.disclaimer, t.replyHint].filter(Boolean).join(' ');
  let text = build(explanation, actions);
  // Shrink the explanation first, then drop actions from the end (keeping the first, "hang up").
  while (countParts(text) > maxParts && explanation.length > 0) {
    explanation = shorten(explanation, Math.floor(explanation.length * 0.8));
    text = build(explanation, actions);
  }
  while (countParts(text) > maxParts && actions.length > 1) {
    actions.pop();
    text = build(explanation, actions);
  }
  return text;
}

/** Confirmation text after STOP (opt-out) or START (opt-in). */
export function renderConfirmation(kind: 'opt-out' | 'opt-in', opts: TemplateOptions, language?: string): string {
  const t = pickTemplate(opts, language);
  return (kind === 'opt-out' ? t.optOutConfirmation : t.optInConfirmation).replace('{brand}', foldToGsm(opts.brand));
}
