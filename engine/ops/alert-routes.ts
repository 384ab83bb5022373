import { HttpError, type HttpApi } from '../http/http-api.js';
import { StoreUnavailableError, type AlertRecordRepository } from '../store/store.js';

/** The SMS as the outbox holds it (text as sent), while the outbox still keeps it. */
export type SmsLookup = (alertId: string) => { text: string; state: string; createdAt: number } | undefined;

const MAX_LIMIT = 1000;

/**
 * GET /alerts?limit=N (admin token: it reveals subscriber numbers): the newest alert records, newest first — number,
 * time, score, explanation, delivery state — each with the SMS text while the outbox still has it.
 */
export function registerAlertRoutes(http: HttpApi, records: () => AlertRecordRepository | null, sms: SmsLookup): void {
  http.get(
    '/alerts',
    async (_req, url) => {
      const raw = url.searchParams.get('limit');
      const limit = raw === null ? 50 : Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
        throw new HttpError(400, 'BAD_LIMIT', `limit must be an integer from 1 to ${MAX_LIMIT}`);
      const db = records();
      if (!db) throw new HttpError(503, 'NOT_READY', 'alert records not open');
      let latest;
      try {
        latest = await db.latest(limit);
      } catch (err) {
        if (err instanceof StoreUnavailableError)
          throw new HttpError(503, err.code, 'the alert record store is unavailable; retry later');
        throw err;
      }
      return {
        // With a shared store the list holds every engine's alerts; the SMS text is only known to the engine that sent
        // it.
        alerts: latest.map((r) => {
          const m = sms(r.alertId);
          return {
            ...r,
            at: new Date(r.at).toISOString(),
            sms: m ? { text: m.text, queuedAt: new Date(m.createdAt).toISOString() } : null,
          };
        }),
      };
    },
    { auth: true },
  );
}
