import { readFileSync } from 'node:fs';
import type { CallguardConfig } from '../config/config-schema.js';
import { SubscriberError, SubscriberStore } from './subscriber-store.js';

/**
 * `callguard subscribers add|remove|get|import`: works on the same lmdb store the engine reads (lmdb allows several
 * processes), so it can run while the engine serves. Returns the JSON to print and the exit status (0 done, 1 not
 * found or some rows refused, 2 bad input).
 */
export async function subscribersCommand(cfg: CallguardConfig, action: 'add' | 'remove' | 'get' | 'import', arg: string, language?: string): Promise<{ code: number; output: unknown }> {
  const store = new SubscriberStore(cfg.data.dir);
  try {
    switch (action) {
      case 'add': {
        const r = await store.add(arg, language);
        return { code: 0, output: { subscriber: r.subscriber, created: r.created } };
      }
      case 'remove': {
        const removed = await store.remove(arg);
        return { code: removed ? 0 : 1, output: removed ? { removed: arg } : { error: { code: 'NOT_ENROLLED', message: 'number not enrolled' } } };
      }
      case 'get': {
        const s = store.get(arg);
        return { code: s ? 0 : 1, output: s ? { subscriber: s } : { error: { code: 'NOT_ENROLLED', message: 'number not enrolled' } } };
      }
      case 'import': {
        let text: string;
        try {
          text = readFileSync(arg, 'utf8');
        } catch (err) {
          return { code: 2, output: { error: { code: 'CG_BAD_FILE', message: `cannot read ${arg}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } } };
        }
        const report = await store.importCsv(text);
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
