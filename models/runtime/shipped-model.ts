import { fileURLToPath } from 'node:url';

/**
 * Directory of the shipped emotion model. Resolved from this module's location, which is either
 * `<repo>/models/runtime/` (sources) or `<repo>/dist/models/runtime/` (compiled): both lead to `<repo>/models/emotion-v1`.
 */
export function shippedModelDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const repo = here.replace(/[\\/](dist[\\/])?models[\\/]runtime[\\/]?$/, '');
  return `${repo}/models/emotion-v1`;
}
