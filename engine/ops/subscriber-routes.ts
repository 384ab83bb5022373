import { HttpError, RawResponse, type HttpApi } from '../http/http-api.js';
import { StoreUnavailableError, type SubscriberRepository } from '../store/store.js';
import { MAX_IMPORT_ROWS, SubscriberError, normalizeE164 } from './subscriber-store.js';

/** Largest CSV import body: 10,000 rows of a number and a language fit with room to spare. */
const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

function parseJson(body: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'body must be a JSON object {"msisdn": "+33612345678", "language": "fr"}');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new HttpError(400, 'BAD_JSON', 'body must be a JSON object');
  return v as Record<string, unknown>;
}

function asHttp(err: unknown): never {
  if (err instanceof SubscriberError)
    throw new HttpError(err.code === 'CG_TOO_MANY_ROWS' ? 413 : 400, err.code, err.message);
  // The shared store is down: say so (503, retry later) rather than a bare 500.
  if (err instanceof StoreUnavailableError)
    throw new HttpError(503, err.code, 'the subscriber store is unavailable; retry later');
  throw err;
}

/**
 * Provisioning routes (all need the admin token; they reveal or change who is protected):
 * POST /subscribers {msisdn, language?} → 201 new / 200 updated; POST /subscribers/import (CSV body, ≤ 10,000 rows)
 * → per-row report; GET /subscribers/:msisdn → 200 or 404; DELETE /subscribers/:msisdn → 200 or 404.
 */
export function registerSubscriberRoutes(http: HttpApi, store: () => SubscriberRepository | null): void {
  const db = () => {
    const s = store();
    if (!s) throw new HttpError(503, 'NOT_READY', 'subscriber store not open');
    return s;
  };
  http.post(
    '/subscribers',
    async (_req, _url, ctx) => {
      const b = parseJson(ctx.body);
      if (typeof b.msisdn !== 'string') throw new HttpError(400, 'CG_BAD_MSISDN', 'msisdn (string, E.164) is required');
      const r = await db().add(b.msisdn, b.language).catch(asHttp);
      return new RawResponse(r.created ? 201 : 200, { subscriber: r.subscriber, created: r.created });
    },
    { auth: true },
  );
  http.post(
    '/subscribers/import',
    async (_req, _url, ctx) => {
      const report = await db().importCsv(ctx.body).catch(asHttp);
      return { ...report, maxRows: MAX_IMPORT_ROWS };
    },
    { auth: true, maxBodyBytes: MAX_IMPORT_BYTES, accepts: ['text/csv'] },
  );
  http.get(
    '/subscribers/:msisdn',
    async (_req, _url, ctx) => {
      const n = normalizeE164(ctx.params.msisdn);
      if (!n) throw new HttpError(400, 'CG_BAD_MSISDN', 'not an E.164 number');
      const s = await Promise.resolve(db().get(n)).catch(asHttp);
      if (!s) throw new HttpError(404, 'NOT_ENROLLED', 'number not enrolled');
      return { subscriber: s };
    },
    { auth: true },
  );
  http.delete(
    '/subscribers/:msisdn',
    async (_req, _url, ctx) => {
      const n = normalizeE164(ctx.params.msisdn);
      if (!n) throw new HttpError(400, 'CG_BAD_MSISDN', 'not an E.164 number');
      if (!(await db().remove(n).catch(asHttp))) throw new HttpError(404, 'NOT_ENROLLED', 'number not enrolled');
      return { removed: n };
    },
    { auth: true },
  );
}
