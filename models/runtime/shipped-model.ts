import { fileURLToPath } from 'node:url';

/**
 * Directory of the shipped emotion model. Resolved from this module's location, which is either
 * `<repo>/models/runtime/` (sources) or `<repo>/dist/models/runtime/` (compiled): both lead to
 * `<repo>/models/emotion-v1`.
 */
export function shippedModelDir(): string {
  return modelDir('emotion-v1');
}

/** Directory of a model kept in the repository by name (`emotion-v1`, `emotion-v2`, …). */
export function modelDir(name: string): string {
  return `${repoRoot()}/models/${name}`;
}

/** Directory of the shipped keyword spotter (models/spotter-en-v1). */
export function shippedSpotterDir(): string {
  return `${repoRoot()}/models/spotter-en-v1`;
}

function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.replace(/[\\/](dist[\\/])?models[\\/]runtime[\\/]?$/, '');
}
