import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { CallguardError } from '../../common/errors.js';

/** One protected subscriber. */
export interface Subscriber {
  /** E.164 with '+'. */
  msisdn: string;
  /** Alert language (template key, e.g. 'fr'); null: the engine's smpp.language. */
  language: string | null;
  enrolledAt: string;
}

export class SubscriberError extends CallguardError<
  'CG_BAD_MSISDN' | 'CG_BAD_LANGUAGE' | 'CG_BAD_CSV' | 'CG_TOO_MANY_ROWS'
> {
  override name = 'SubscriberError';
}

/** Largest CSV import, in data rows. */
export const MAX_IMPORT_ROWS = 10_000;

/**
 * Normalise an E.164 number: '+' then 7–15 digits (spaces, dashes, dots and brackets ignored; a leading 00 is read as
 * '+'). Anything else is refused, because a number that matches nothing would silently protect no one.
 */
export function normalizeE164(input: string): string | null {
  let s = String(input)
    .trim()
    .replace(/[\s\-().]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  return /^\+[1-9]\d{6,14}$/.test(s) ? s : null;
}

const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

export function normalizeLanguage(input: unknown): string | null {
  if (input === undefined || input === null || input === '') return null;
  if (typeof input !== 'string' || !LANGUAGE.test(input.trim()))
    throw new SubscriberError(
      'CG_BAD_LANGUAGE',
      `language must look like "en" or "fr-BE", got ${JSON.stringify(input)}`.slice(0, 200),
    );
  return input.trim();
}

export interface ImportReport {
  rows: number;
  added: number;
  updated: number;
  errors: Array<{ line: number; value: string; code: string; message: string }>;
}

/**
 * Read subscriber CSV text: one subscriber per line, `msisdn[,language]`, an optional header line (`msisdn,language`),
 * '#' comments and blank lines skipped. Bad rows are reported with their line number; more than MAX_IMPORT_ROWS rows is
 * refused as a whole (CG_TOO_MANY_ROWS). Shared by every store, so an import reads the same whatever keeps it.
 */
export function parseSubscriberCsv(text: string): {
  rows: Array<{ line: number; msisdn: string; language: string | null }>;
  dataRows: number;
  errors: ImportReport['errors'];
} {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: Array<{ line: number; msisdn: string; language: string | null }> = [];
  const errors: ImportReport['errors'] = [];
  let dataRows = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw || raw.startsWith('#')) continue;
    const cells = raw.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (dataRows === 0 && rows.length === 0 && errors.length === 0 && /^(msisdn|number|e164|phone)/i.test(cells[0]))
      continue;
    dataRows++;
    if (dataRows > MAX_IMPORT_ROWS)
      throw new SubscriberError('CG_TOO_MANY_ROWS', `more than ${MAX_IMPORT_ROWS} rows; split the file`);
    const value = raw.slice(0, 80);
    if (cells.length > 2) {
      errors.push({ line: i + 1, value, code: 'CG_BAD_CSV', message: 'expected msisdn[,language]' });
      continue;
    }
    const msisdn = normalizeE164(cells[0]);
    if (!msisdn) {
      errors.push({
        line: i + 1,
        value,
        code: 'CG_BAD_MSISDN',
        message: 'not an E.164 number (+ then 7 to 15 digits)',
      });
      continue;
    }
    try {
      rows.push({ line: i + 1, msisdn, language: normalizeLanguage(cells[1]) });
    } catch (err) {
      errors.push({ line: i + 1, value, code: (err as SubscriberError).code, message: (err as Error).message });
    }
  }
  return { rows, dataRows, errors };
}

/**
 * Protected subscribers, keyed by E.164, in their own lmdb environment under `<data.dir>/subscribers` (apart from the
 * SMS outbox). Lookups are synchronous (lmdb reads are memory-mapped), so the SIP path can ask on every INVITE. Several
 * processes may open it at once (the engine and `callguard subscribers`).
 */
export class SubscriberStore {
  private readonly db: RootDatabase<Subscriber, string>;

  constructor(dataDir: string) {
    const dir = join(resolve(dataDir), 'subscribers');
    mkdirSync(dir, { recursive: true });
    this.db = open<Subscriber, string>({ path: dir, compression: false });
  }

  get(msisdn: string): Subscriber | undefined {
    const n = normalizeE164(msisdn);
    return n ? this.db.get(n) : undefined;
  }

  has(msisdn: string): boolean {
    return this.get(msisdn) !== undefined;
  }

  count(): number {
    return this.db.getCount();
  }

  /** Enrol (or update the language of) one subscriber. Returns the record and whether it is new. */
  async add(msisdn: string, language?: unknown): Promise<{ subscriber: Subscriber; created: boolean }> {
    const n = normalizeE164(msisdn);
    if (!n)
      throw new SubscriberError(
        'CG_BAD_MSISDN',
        `not an E.164 number (+ then 7 to 15 digits): ${JSON.stringify(String(msisdn).slice(0, 40))}`,
      );
    const lang = normalizeLanguage(language);
    const old = this.db.get(n);
    const subscriber: Subscriber = {
      msisdn: n,
      language: lang,
      enrolledAt: old?.enrolledAt ?? new Date().toISOString(),
    };
    await this.db.put(n, subscriber);
    return { subscriber, created: !old };
  }

  /** Remove one subscriber; false when it was not enrolled. */
  async remove(msisdn: string): Promise<boolean> {
    const n = normalizeE164(msisdn);
    if (!n)
      throw new SubscriberError('CG_BAD_MSISDN', `not an E.164 number: ${JSON.stringify(String(msisdn).slice(0, 40))}`);
    if (this.db.get(n) === undefined) return false;
    return this.db.remove(n);
  }

  /**
   * Import CSV text (see parseSubscriberCsv): valid rows are written in one transaction; every bad row is reported
   * with its line number, and does not stop the others.
   */
  async importCsv(text: string): Promise<ImportReport> {
    const { rows, dataRows, errors } = parseSubscriberCsv(text);
    let added = 0;
    let updated = 0;
    const now = new Date().toISOString();
    await this.db.transaction(() => {
      for (const r of rows) {
        const old = this.db.get(r.msisdn);
        if (old) updated++;
        else added++;
        this.db.putSync(r.msisdn, { msisdn: r.msisdn, language: r.language, enrolledAt: old?.enrolledAt ?? now });
      }
    });
    return { rows: dataRows, added, updated, errors };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
