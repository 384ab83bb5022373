import {
  SubscriberError,
  normalizeE164,
  normalizeLanguage,
  parseSubscriberCsv,
  type ImportReport,
  type Subscriber,
} from '../ops/subscriber-store.js';
import type { PgRunner } from './pg-runner.js';
import type { SubscriberRepository } from './store.js';

interface Row {
  msisdn: string;
  language: string | null;
  enrolled_at: Date;
}

const toSubscriber = (r: Row): Subscriber => ({
  msisdn: r.msisdn,
  language: r.language,
  enrolledAt: new Date(r.enrolled_at).toISOString(),
});

function badNumber(msisdn: string): SubscriberError {
  return new SubscriberError(
    'CG_BAD_MSISDN',
    `not an E.164 number (+ then 7 to 15 digits): ${JSON.stringify(String(msisdn).slice(0, 40))}`,
  );
}

/** Protected subscribers in PostgreSQL (table `subscribers`), the same rules as the embedded store. */
export class PgSubscribers implements SubscriberRepository {
  constructor(private readonly db: PgRunner) {}

  async get(msisdn: string): Promise<Subscriber | undefined> {
    const n = normalizeE164(msisdn);
    if (!n) return undefined;
    const r = await this.db.query<Row>('SELECT msisdn, language, enrolled_at FROM subscribers WHERE msisdn = $1', [n]);
    return r.rows[0] ? toSubscriber(r.rows[0]) : undefined;
  }

  async count(): Promise<number> {
    const r = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM subscribers');
    return Number(r.rows[0].n);
  }

  async add(msisdn: string, language?: unknown): Promise<{ subscriber: Subscriber; created: boolean }> {
    const n = normalizeE164(msisdn);
    if (!n) throw badNumber(msisdn);
    const lang = normalizeLanguage(language);
    // One statement, so two engines enrolling the same number at once cannot both "create" it. xmax = 0 only on a
    // row this statement inserted.
    const r = await this.db.query<Row & { created: boolean }>(
      `INSERT INTO subscribers (msisdn, language) VALUES ($1, $2)
       ON CONFLICT (msisdn) DO UPDATE SET language = EXCLUDED.language
       RETURNING msisdn, language, enrolled_at, (xmax = 0) AS created`,
      [n, lang],
    );
    return { subscriber: toSubscriber(r.rows[0]), created: r.rows[0].created };
  }

  async remove(msisdn: string): Promise<boolean> {
    const n = normalizeE164(msisdn);
    if (!n)
      throw new SubscriberError('CG_BAD_MSISDN', `not an E.164 number: ${JSON.stringify(String(msisdn).slice(0, 40))}`);
    const r = await this.db.query('DELETE FROM subscribers WHERE msisdn = $1', [n]);
    return (r.rowCount ?? 0) > 0;
  }

  async importCsv(text: string): Promise<ImportReport> {
    const { rows, dataRows, errors } = parseSubscriberCsv(text);
    // A number listed twice: the last line wins and the earlier one counts as an update, as in the embedded store
    // (one INSERT … ON CONFLICT cannot touch a row twice).
    const last = new Map<string, string | null>();
    for (const r of rows) last.set(r.msisdn, r.language);
    const repeats = rows.length - last.size;
    if (last.size === 0) return { rows: dataRows, added: 0, updated: repeats, errors };
    const created = await this.db.tx(async (c) => {
      const r = await c.query<{ created: boolean }>(
        `INSERT INTO subscribers (msisdn, language) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (msisdn) DO UPDATE SET language = EXCLUDED.language
         RETURNING (xmax = 0) AS created`,
        [[...last.keys()], [...last.values()]],
      );
      return r.rows.filter((x) => x.created).length;
    });
    return { rows: dataRows, added: created, updated: last.size - created + repeats, errors };
  }
}
