import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { CallguardConfig } from '../config/config-schema.js';
import { openStore } from '../store/open-store.js';
import { SubscriberError } from './subscriber-store.js';

/**
 * `callguard subscribers add|remove|get|import`: works on the store the engine reads — the lmdb store under data.dir
 * (lmdb allows several processes) or PostgreSQL when store.url is set — so it can run while the engines serve.
 * Returns the JSON to print and the exit status (0 done, 1 not found or some rows refused, 2 bad input).
 */
export async function subscribersCommand(
  cfg: CallguardConfig,
  action: 'add' | 'remove' | 'get' | 'import',
  arg: string,
  language?: string,
): Promise<{ code: number; output: unknown }> {
  const store = await openStore(cfg, pino({ level: 'silent' }));
  const subscribers = store.subscribers;
  try {
    switch (action) {
      case 'add': {
        const r = await subscribers.add(arg, language);
        return { code: 0, output: { subscriber: r.subscriber, created: r.created } };
      }
      case 'remove': {
        const removed = await subscribers.remove(arg);
        return {
          code: removed ? 0 : 1,
          output: removed ? { removed: arg } : { error: { code: 'NOT_ENROLLED', message: 'number not enrolled' } },
        };
      }
      case 'get': {
        const s = await subscribers.get(arg);
        return {
          code: s ? 0 : 1,
          output: s ? { subscriber: s } : { error: { code: 'NOT_ENROLLED', message: 'number not enrolled' } },
        };
      }
      case 'import': {
        let text: string;
        try {
          text = readFileSync(arg, 'utf8');
        } catch (err) {
          return {
            code: 2,
            output: {
              error: {
                code: 'CG_BAD_FILE',
                message: `cannot read ${arg}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
              },
            },
          };
        }
        const report = await subscribers.importCsv(text);
        return { code: report.errors.length ? 1 : 0, output: report };
      }
    }
  } catch (err) {
    if (err instanceof SubscriberError) return { code: 2, output: { error: { code: err.code, message: err.message } } };
    throw err;
  } finally {
    await store.close();
  }
}
