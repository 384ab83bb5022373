/**
 * The keyword spotter's vocabulary: classes of scam keywords, each a few spoken phrases, and the intent category
 * each points to. The spotter runs on every window of every call (batched with the emotion model); what it hears
 * decides which calls get the bounded full recognition first. It never alerts on its own.
 */
import type { IntentCategory } from '../../actors/speech/intent-lexicon.js';

export interface KeywordClass {
  name: string;
  category: IntentCategory;
  /** Phrases in spoken form (lower case, words as the TTS should say them). */
  phrases: readonly string[];
}

/** Order = model output order. */
export const KEYWORD_CLASSES: readonly KeywordClass[] = [
  {
    name: 'code',
    category: 'ask',
    phrases: ['code', 'verification code', 'security code', 'one time passcode', 'pin number', 'the code we sent'],
  },
  {
    name: 'giftcard',
    category: 'pay',
    phrases: ['gift card', 'gift cards', 'itunes cards', 'google play cards', 'steam cards', 'vouchers'],
  },
  {
    name: 'safe-account',
    category: 'pay',
    phrases: ['safe account', 'secure account', 'holding account', 'safety account'],
  },
  {
    name: 'police',
    category: 'authority',
    phrases: ['police', 'police officer', 'detective', 'inspector', 'federal agent'],
  },
  {
    name: 'arrest',
    category: 'threat',
    phrases: ['arrest', 'arrested', 'warrant', 'arrest warrant', 'jail', 'prison'],
  },
  {
    name: 'fraud',
    category: 'authority',
    phrases: ['fraud', 'fraud department', 'fraudulent', 'suspicious activity', 'suspicious transaction'],
  },
  { name: 'crypto', category: 'pay', phrases: ['bitcoin', 'crypto', 'cryptocurrency', 'bitcoin machine'] },
  {
    name: 'secrecy',
    category: 'secrecy',
    phrases: [
      "don't tell anyone",
      "don't hang up",
      'do not tell anyone',
      'keep this confidential',
      "don't tell your family",
      'stay on the line',
    ],
  },
  { name: 'remote', category: 'pay', phrases: ['anydesk', 'teamviewer', 'remote access', 'remote desktop'] },
  {
    name: 'tax',
    category: 'authority',
    phrases: ['tax', 'taxes', 'irs', 'internal revenue service', 'hmrc', 'tax office'],
  },
  {
    name: 'password',
    category: 'ask',
    phrases: ['password', 'online banking password', 'login details', 'card number', 'social security number'],
  },
  {
    name: 'transfer',
    category: 'pay',
    phrases: ['transfer the money', 'wire transfer', 'move your money', 'transfer your savings', 'move your savings'],
  },
];

export const KEYWORD_NAMES: readonly string[] = KEYWORD_CLASSES.map((k) => k.name);

/**
 * Carrier fragments around a keyword: the spotter learns the keyword, not its sentence. Neutral, everyday wording,
 * so no fragment teaches it a second keyword.
 */
export const CARRIER_PREFIXES: readonly string[] = [
  '',
  'the',
  'i need the',
  'we have your',
  'this is about the',
  'can you check the',
  'they told me about the',
  'so the',
  'and then the',
  'it is the',
  'about your',
  'we talked about the',
  'my sister mentioned the',
  'there was a',
  'i think the',
  'please look at the',
  'you said the',
  'what about the',
  'just the',
  'we will need the',
  'i was asking about the',
  'have you got the',
  'now the',
  'okay so the',
];
export const CARRIER_SUFFIXES: readonly string[] = [
  '',
  'right now',
  'for me please',
  'this afternoon',
  'as soon as you can',
  'on the list',
  'that we talked about',
  'and call me back',
  'today',
  'again',
  'if that is okay',
  'before the weekend',
  'thank you',
  'is that right',
  'later on',
  'with your mother',
  'at the weekend',
  'so we can finish',
  'by the door',
  'tomorrow morning',
];
