import { parseArgs } from 'node:util';
import { isLoopback } from './call-generator.js';
import type { CallPlanOptions, SecondsRange } from './call-plan.js';
import { baselineVariant, selectVariants, type CompareVariant } from './load-compare.js';
import type { LoadReport } from './load-report.js';
import { runBoundSeconds } from './soak-plan.js';

/** `npm run load -- --help`. */
export const USAGE =
  `Usage: node dist/load-tests/run-load.js [options]

  --calls N             calls in the run (default 20)
  --duration S|MIN-MAX  call length in seconds, fixed or uniform range (default 30)
  --rate R              arrivals per second (default: calls spread over 10 s)
  --arrivals uniform|poisson
  --scam-fraction F     share of scam-like calls (default 0.3)
  --scam-onset MIN-MAX  seconds into a scam-like call where the scam audio starts (default 4-10)
  --codec PCMU|PCMA|mixed
  --conversation overlapping|turns|spoken   both legs talk all the time (default: the worst case), the parties take
                        turns, or spoken: the other party reads English scripts (benign; scam from the onset) by
                        flite voices and the subscriber answers each sentence (the spoken-content path under load)
  --seed N
  --ramp                raise concurrency step by step until the engine falls behind
  --ramp-start N --ramp-step N --ramp-max N --step-seconds S   (defaults 25, 25, 1000, 30)
  --compare             the same plan (--calls, --duration, --rate) against each engine variant in turn:
                        callguard (as shipped), unbatched (model.maxBatch 1), meyda (engine.spectralStage meyda),
                        rtp-main-thread (rtp.ioThreads 0), io-2 (rtp.ioThreads 2), chunk-200ms
                        (engine.minChunkSeconds 0.2), workers-1 (pool.threads 1)
  --variants a,b        which variants to compare (default all)
  --baseline DIR        with --compare: also run the engine of another built checkout (e.g. a git worktree of the
                        commit before a change), first, on its own defaults: a code change against its reference
  --soak S              hold --calls concurrent calls for S seconds, each replaced as it ends (--duration per call);
                        samples engine RSS and heap, reports memory per call and whether RSS is flat
  --soak-warm-up S      seconds of the soak left out of the memory verdict (default 120)
  --lag-threshold S     engine lag that counts as falling behind (default 1.0)
  --target host:port    an engine already running (loopback only); --http host:port for its API, --token T for its ` +
  `admin token
  --smsc-port N         port of the run's SMSC simulator (default: free port)
  --engine-env K=V      extra environment for the spawned engine (repeatable)
  --engine-node-arg A   extra node flag for the spawned engine (repeatable), e.g. --engine-node-arg=--cpu-prof
                        --engine-node-arg=--cpu-prof-dir=DIR (one profile per thread)
  --sipp N              also run N calls through sipp as an independent cross-check
  --out DIR             report directory (default load-tests/reports/<time>)
  --max-seconds S       hard bound on the whole run (default 1800, or the soak's length + 300 if longer)`;

/** The plan settings every mode shares (count, rate and call length are the mode's). */
export type PlanBase = Omit<CallPlanOptions, 'calls' | 'ratePerSecond' | 'durationSeconds'>;

/** A load run's settings, checked. Defaults are applied here, so the modes read plain numbers. */
export interface LoadRunOptions {
  /** The command line's own values, kept in the report as given. */
  args: Record<string, unknown>;
  mode: LoadReport['mode'];
  calls: number;
  duration: SecondsRange;
  /** --rate, or the run's calls spread over 10 s (at least 0.5/s). */
  ratePerSecond: number;
  lagThreshold: number;
  ramp: { start: number; step: number; max: number; holdSeconds: number };
  variants: CompareVariant[];
  soakSeconds: number;
  soakWarmUpSeconds: number;
  maxSeconds: number;
  /** --out as given; the default depends on the repository and the start time. */
  out: string | undefined;
  base: PlanBase;
  /** The spawned engine's extra environment and node flags. */
  engineEnv: Record<string, string>;
  engineNodeArgs: string[] | undefined;
  external: { target: { host: string; port: number }; httpBase: string | null; token: string | undefined } | undefined;
  smscPort: number | undefined;
  /** --sipp: calls for the sipp cross-check, null without it. */
  sippCalls: number | null;
}

/** Parse the command line; 'help' when --help was asked. Throws on a bad value, with the option in the message. */
export function parseLoadArgs(argv: string[]): LoadRunOptions | 'help' {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      calls: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      arrivals: { type: 'string' },
      'scam-fraction': { type: 'string' },
      'scam-onset': { type: 'string' },
      codec: { type: 'string' },
      seed: { type: 'string' },
      conversation: { type: 'string' },
      ramp: { type: 'boolean' },
      compare: { type: 'boolean' },
      variants: { type: 'string' },
      baseline: { type: 'string' },
      soak: { type: 'string' },
      'soak-warm-up': { type: 'string' },
      'ramp-start': { type: 'string' },
      'ramp-step': { type: 'string' },
      'ramp-max': { type: 'string' },
      'step-seconds': { type: 'string' },
      'lag-threshold': { type: 'string' },
      target: { type: 'string' },
      http: { type: 'string' },
      token: { type: 'string' },
      'smsc-port': { type: 'string' },
      'engine-env': { type: 'string', multiple: true },
      'engine-node-arg': { type: 'string', multiple: true },
      sipp: { type: 'string' },
      out: { type: 'string' },
      'max-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (a.help) return 'help';
  const mode: LoadReport['mode'] = a.compare ? 'compare' : a.soak ? 'soak' : a.ramp ? 'ramp' : 'run';
  if ([a.compare, a.soak, a.ramp].filter(Boolean).length > 1)
    throw new Error('--ramp, --compare and --soak are separate modes: pick one');
  if (a.target && a['engine-node-arg']?.length)
    throw new Error('--engine-node-arg applies to an engine this run spawns; it cannot reach --target');
  if (a.baseline && !a.compare) throw new Error('--baseline is a --compare variant: add --compare');
  if ((a.compare || a.soak) && a.target)
    throw new Error(
      `--${a.compare ? 'compare' : 'soak'} spawns its own engine${a.compare ? 's' : ''}; it cannot drive --target`,
    );

  const calls = Number(a.calls ?? 20);
  const soakSeconds = a.soak ? Number(a.soak) : 0;
  const soakWarmUpSeconds = Number(a['soak-warm-up'] ?? 120);
  if (a.soak && !(soakSeconds > soakWarmUpSeconds))
    throw new Error(`--soak ${a.soak}: must be longer than the warm-up (--soak-warm-up ${soakWarmUpSeconds})`);
  if (!(calls >= 1) || !Number.isInteger(calls)) throw new Error(`--calls ${a.calls}: expected a whole number >= 1`);
  const engineEnv: Record<string, string> = {};
  for (const kv of a['engine-env'] ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) engineEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return {
    args: a,
    mode,
    calls,
    duration: range(a.duration, { min: 30, max: 30 }),
    ratePerSecond: Number(a.rate ?? Math.max(0.5, calls / 10)),
    lagThreshold: Number(a['lag-threshold'] ?? 1),
    ramp: {
      start: Number(a['ramp-start'] ?? 25),
      step: Number(a['ramp-step'] ?? 25),
      max: Number(a['ramp-max'] ?? 1000),
      holdSeconds: Number(a['step-seconds'] ?? 30),
    },
    variants: a.compare ? [...(a.baseline ? [baselineVariant(a.baseline)] : []), ...selectVariants(a.variants)] : [],
    soakSeconds,
    soakWarmUpSeconds,
    maxSeconds: runBoundSeconds(soakSeconds, a['max-seconds']),
    out: a.out,
    base: {
      arrivals: a.arrivals === 'poisson' ? 'poisson' : 'uniform',
      scamFraction: Number(a['scam-fraction'] ?? 0.3),
      scamOnsetSeconds: range(a['scam-onset'], { min: 4, max: 10 }),
      codec: (a.codec as 'PCMU' | 'PCMA' | 'mixed' | undefined) ?? 'PCMU',
      seed: Number(a.seed ?? 1),
      conversation: conversationOf(a.conversation),
    },
    engineEnv,
    engineNodeArgs: a['engine-node-arg'],
    external: a.target
      ? {
          target: hostPort(a.target),
          httpBase: a.http ? `http://${a.http}` : null,
          token: a.token ?? process.env.CALLGUARD_HTTP_TOKEN,
        }
      : undefined,
    smscPort: a['smsc-port'] ? Number(a['smsc-port']) : undefined,
    sippCalls: a.sipp ? Number(a.sipp) : null,
  };
}

function range(v: string | undefined, d: SecondsRange): SecondsRange {
  if (!v) return d;
  const [a, b] = v.split('-').map(Number);
  const r = { min: a, max: b === undefined || Number.isNaN(b) ? a : b };
  if (!(r.min > 0) || r.max < r.min) throw new Error(`bad range "${v}"`);
  return r;
}

function hostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const host = v.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(v.slice(i + 1));
  if (i < 0 || !(port > 0)) throw new Error(`expected host:port, got "${v}"`);
  if (!isLoopback(host)) throw new Error(`load tests target loopback only, got ${host}`);
  return { host, port };
}

function conversationOf(v: string | boolean | undefined): 'overlapping' | 'turns' | 'spoken' {
  if (v === undefined || v === 'overlapping') return 'overlapping';
  if (v === 'turns' || v === 'spoken') return v;
  throw new Error(`--conversation ${String(v)}: expected overlapping, turns or spoken`);
}
