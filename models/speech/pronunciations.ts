/**
 * Pronunciations for the domain dictionary: CMUdict as shipped with Debian's pocketsphinx-en-us, plus the few words
 * scammers use that it lacks (remote-access app names), written in its ARPAbet phone set.
 */
import { readFileSync } from 'node:fs';

/** Where Debian's pocketsphinx-en-us puts the en-us model. */
export const SPHINX_EN_US = {
  hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
  dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
} as const;

/** Words CMUdict lacks that matter for the intents (ARPAbet, CMUdict's phone set). */
export const EXTRA_PRONUNCIATIONS: Readonly<Record<string, readonly string[]>> = {
  anydesk: ['EH N IY D EH S K'],
  teamviewer: ['T IY M V Y UW ER'],
  ultraviewer: ['AH L T R AH V Y UW ER'],
  supremo: ['S UW P R IY M OW'],
  zelle: ['Z EH L'],
  venmo: ['V EH N M OW'],
  cashapp: ['K AE SH AE P'],
  binance: ['B AY N AE N S'],
  coinbase: ['K OY N B EY S'],
  hmrc: ['EY CH EH M AA R S IY'],
  otp: ['OW T IY P IY'],
  cvv: ['S IY V IY V IY'],
};

/** word -> pronunciations (variants in dictionary order). */
export function readPronunciations(dictPath: string = SPHINX_EN_US.dict): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(dictPath, 'utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const head = line.slice(0, sp);
    const word = head.replace(/\(\d+\)$/, '');
    const phones = line
      .slice(sp + 1)
      .replace(/#.*$/, '')
      .trim();
    if (!phones) continue;
    const list = map.get(word);
    if (list) list.push(phones);
    else map.set(word, [phones]);
  }
  for (const [w, p] of Object.entries(EXTRA_PRONUNCIATIONS)) if (!map.has(w)) map.set(w, [...p]);
  return map;
}
