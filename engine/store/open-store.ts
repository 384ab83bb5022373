import { CallguardError } from '../../common/errors.js';
import type { CallguardConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import { LmdbStore } from './lmdb-store.js';
import { PostgresStore } from './postgres-store.js';
import type { CallguardStore } from './store.js';

/** The store could not be opened at start-up; the message names store.url (the password masked). */
export class StoreOpenError extends CallguardError<'CG_STORE_OPEN'> {
  override name = 'StoreOpenError';
}

/** Opens the store the configuration names: PostgreSQL when store.url is set, else the embedded lmdb store. */
export async function openStore(cfg: CallguardConfig, log: Logger): Promise<CallguardStore> {
  const s = cfg.store;
  if (!s.url) return new LmdbStore(cfg.data.dir);
  try {
    return await PostgresStore.open({
      url: s.url,
      poolSize: s.poolSize,
      statementTimeoutMs: s.statementTimeoutMs,
      connectTimeoutMs: s.connectTimeoutMs,
      logger: log.child({ component: 'store' }),
    });
  } catch (err) {
    const shown = s.url.replace(/(postgres(?:ql)?:\/\/[^:@/]*:)[^@]*@/, '$1***@');
    throw new StoreOpenError(
      'CG_STORE_OPEN',
      `store.url (${shown}): cannot open PostgreSQL: ${(err as Error).message || (err as { code?: string }).code}`,
      { setting: 'store.url', cause: err },
    );
  }
}
