import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const FILES = { js: 'uplot/dist/uPlot.iife.min.js', css: 'uplot/dist/uPlot.min.css' } as const;
const cache = new Map<keyof typeof FILES, string>();

/**
 * uPlot (MIT), the console's charting library, read from node_modules once and served by the engine itself: the
 * console runs on management networks with no Internet, so nothing may come from a CDN.
 */
export function uplotAsset(kind: keyof typeof FILES): string {
  let text = cache.get(kind);
  if (text === undefined) {
    text = readFileSync(require.resolve(FILES[kind]), 'utf8');
    cache.set(kind, text);
  }
  return text;
}
