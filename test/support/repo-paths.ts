import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/, so paths are resolved from here, not from the working directory). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The shared Emo-DB telephone-band clips (read-only, beside the repository). */
export const emodbDir = join(repoRoot, '..', 'shared', 'data', 'emodb-8k');

/** Read a JSON file relative to the repository root. */
export function readRepoJson<T = any>(relative: string): T {
  return JSON.parse(readFileSync(join(repoRoot, relative), 'utf8')) as T;
}
