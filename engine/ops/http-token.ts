import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import { HttpError } from '../http/http-api.js';
import type { Logger } from '../logger.js';

/** Name of the file under the data dir that keeps the generated admin token. */
export const TOKEN_FILE = 'http-token';

/**
 * The admin API's bearer token: `http.token` when set; else the one kept in `<data.dir>/http-token`; else a new random
 * one, written there with mode 0600 and printed once in the log (the only time it is shown).
 */
export function resolveHttpToken(
  configured: string,
  dataDir: string,
  log: Logger,
): { token: string; source: 'config' | 'file' | 'generated'; path: string } {
  const path = join(resolve(dataDir), TOKEN_FILE);
  if (configured) return { token: configured, source: 'config', path };
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token) {
      log.info({ path }, 'admin API token read from the data dir');
      return { token, source: 'file', path };
    }
  }
  mkdirSync(resolve(dataDir), { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  // Printed once, here: later starts read the file and log only its path.
  log.warn(`admin API token generated (shown once; kept in ${path}, mode 0600): ${token}`);
  return { token, source: 'generated', path };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check of `Authorization: Bearer <token>`; throws HttpError 401 otherwise. */
export function bearerAuthorizer(token: string): (req: IncomingMessage) => void {
  const want = digest(token);
  return (req) => {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m)
      throw new HttpError(401, 'UNAUTHORIZED', 'this resource needs "Authorization: Bearer <token>" (http.token)');
    // Comparing fixed-length digests keeps the time independent of where (or whether) the strings differ.
    if (!timingSafeEqual(digest(m[1]), want)) throw new HttpError(401, 'UNAUTHORIZED', 'invalid token');
  };
}
