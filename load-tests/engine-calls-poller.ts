/**
 * Polls the engine's GET /calls (about once a second) and keeps, per call, the last audio seconds per leg and the worst
 * lag, RTP loss and ring overrun seen, plus a time series of concurrency and lag for the report and the ramp's
 * "is it keeping up" decision. Reads the fields defensively: a missing field reads as null, never as a crash.
 */
export interface PolledCall {
  callId: string;
  secondsReceived: number[];
  secondsAnalysed: number[];
  packetsLost: number[];
  overrunSamples: number[];
  maxLagSeconds: number;
  /** Alerts the engine lists for the call: level and media time `t` (s) at which the policy raised it. */
  alerts: Array<{ level: string; t: number; basis: string | null }>;
  /** Recognition of the call as last seen (null when the engine does not recognise speech or did not follow it). */
  speech: { grants: number; heldSeconds: number; firstSlotAt: number | null } | null;
  /** Distinct spoken intents heard (names only). */
  intents: string[];
  /** Keyword classes the spotter heard (names only), and the highest spotter score seen. */
  keywords: string[];
  maxSpotterScore: number;
  lastSeenAt: number;
}

export interface PollSample {
  /** Epoch ms. */
  t: number;
  activeCalls: number;
  /** Worst and median lag (s) over the calls listed. */
  maxLagSeconds: number;
  p50LagSeconds: number;
  packetsLost: number;
  overrunSamples: number;
  /** Time the request took (an engine too busy to answer HTTP shows here). */
  responseMs: number;
}

export class EngineCallsPoller {
  readonly calls = new Map<string, PolledCall>();
  readonly samples: PollSample[] = [];
  errors = 0;
  /** False until the first good answer; stays false when the engine has no /calls. */
  available = false;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  /** `token`: the engine's admin bearer token (GET /calls reveals numbers, so it needs one). */
  constructor(
    private readonly url: string,
    private readonly periodMs = 1000,
    private readonly token?: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
  }

  get last(): PollSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  async poll(): Promise<void> {
    if (this.busy) return; // a slow engine must not pile up requests
    this.busy = true;
    const t0 = Date.now();
    try {
      const r = await fetch(this.url, {
        signal: AbortSignal.timeout(5000),
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      });
      if (!r.ok) throw new Error(String(r.status));
      const body = (await r.json()) as unknown;
      const list = Array.isArray(body)
        ? body
        : Array.isArray((body as { calls?: unknown })?.calls)
          ? (body as { calls: unknown[] }).calls
          : [];
      this.available = true;
      this.ingest(list as Array<Record<string, unknown>>, t0, Date.now() - t0);
    } catch {
      this.errors++;
    } finally {
      this.busy = false;
    }
  }

  private ingest(list: Array<Record<string, unknown>>, t: number, responseMs: number): void {
    const lags: number[] = [];
    let lost = 0;
    let overrun = 0;
    for (const c of list) {
      const id = typeof c.callId === 'string' ? c.callId : typeof c.id === 'string' ? c.id : null;
      if (!id) continue;
      const legs = Array.isArray(c.legs) ? (c.legs as Array<Record<string, unknown>>) : [];
      const lag = num(c.lagSeconds) ?? 0;
      lags.push(lag);
      const prev = this.calls.get(id);
      const pc: PolledCall = {
        callId: id,
        secondsReceived: legs.map((l) => num(l.secondsReceived) ?? num(l.receivedSeconds) ?? num(l.seconds) ?? 0),
        secondsAnalysed: legs.map((l) => num(l.secondsAnalysed) ?? num(l.processedSeconds) ?? 0),
        packetsLost: legs.map((l, i) => Math.max(num(l.packetsLost) ?? 0, prev?.packetsLost[i] ?? 0)),
        overrunSamples: legs.map((l, i) => Math.max(num(l.overrunSamples) ?? 0, prev?.overrunSamples[i] ?? 0)),
        maxLagSeconds: Math.max(lag, prev?.maxLagSeconds ?? 0),
        alerts: Array.isArray(c.alerts)
          ? (c.alerts as Array<Record<string, unknown>>).map((a) => ({
              level: String(a.level ?? ''),
              t: num(a.t) ?? 0,
              basis: typeof a.basis === 'string' ? a.basis : null,
            }))
          : (prev?.alerts ?? []),
        speech: speechOf(c.speech) ?? prev?.speech ?? null,
        intents: Array.isArray(c.intents)
          ? [
              ...new Set(
                (c.intents as Array<Record<string, unknown>>).map((i) => String(i.intent ?? '')).filter(Boolean),
              ),
            ]
          : (prev?.intents ?? []),
        keywords: Array.isArray(c.keywords)
          ? (c.keywords as Array<Record<string, unknown>>).map((k) => String(k.keyword ?? '')).filter(Boolean)
          : (prev?.keywords ?? []),
        maxSpotterScore: Math.max(num(c.spotterScore) ?? 0, prev?.maxSpotterScore ?? 0),
        lastSeenAt: t,
      };
      this.calls.set(id, pc);
      lost += pc.packetsLost.reduce((a, b) => a + b, 0);
      overrun += pc.overrunSamples.reduce((a, b) => a + b, 0);
    }
    lags.sort((a, b) => a - b);
    this.samples.push({
      t,
      activeCalls: list.length,
      maxLagSeconds: lags.length ? lags[lags.length - 1] : 0,
      p50LagSeconds: lags.length ? lags[Math.floor(lags.length / 2)] : 0,
      packetsLost: lost,
      overrunSamples: overrun,
      responseMs,
    });
  }
}

function speechOf(v: unknown): PolledCall['speech'] {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  return { grants: num(o.grants) ?? 0, heldSeconds: num(o.heldSeconds) ?? 0, firstSlotAt: num(o.firstSlotAt) };
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
