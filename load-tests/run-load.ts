import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scoreAlerts } from './alert-scoring.js';
import { isLoopback, type CallResult } from './call-generator.js';
import { planCalls, type CallPlanOptions, type SecondsRange } from './call-plan.js';
import { defaultClipLibrary } from './emodb-clips.js';
import { buildSpokenLibrary } from './spoken-clips.js';
import { summariseSpeech } from './speech-summary.js';
import { openEngineSession, type EngineSession } from './engine-session.js';
import { runComparison, selectVariants, type VariantResult } from './load-compare.js';
import { renderLoadChart, type ChartPoint } from './load-chart.js';
import { latencyTargetText, reportMarkdown, VERDICT_P99_TARGET_MS, withinLatencyTarget, type LoadReport } from './load-report.js';
import type { StepReport } from './step-report.js';
import { runStep, sessionStepContext } from './load-step.js';
import { MachineCpuSampler } from './proc-sampler.js';
import { runSippCrossCheck } from './sipp-cross-check.js';
import { renderSoakChart } from './soak-chart.js';
import { planSoak, runBoundSeconds } from './soak-plan.js';
import { runSoak, type SoakResult } from './soak-run.js';

/**
 * `npm run load -- [options]`: drives SIPREC load into callguard and writes a report (JSON, Markdown, PNG chart).
 * By default it spawns the engine (`bin/callguard.js serve`) on free loopback ports with alerts going to an SMSC
 * simulator it runs itself; --target host:port drives an engine that is already running instead. Modes: one run,
 * --ramp (raise concurrency until the engine falls behind), --compare (the same plan against engine variants, one
 * after the other) and --soak (constant concurrency for a long time, memory watched). Bounded: the plan is finite,
 * every step has a deadline, and --max-seconds ends the whole run.
 */
const USAGE = `Usage: node dist/load-tests/run-load.js [options]

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
                        callguard (as shipped), unbatched (model.maxBatch 1), meyda (engine.spectralStage meyda)
  --variants a,b        which variants to compare (default all)
  --soak S              hold --calls concurrent calls for S seconds, each replaced as it ends (--duration per call);
                        samples engine RSS and heap, reports memory per call and whether RSS is flat
  --soak-warm-up S      seconds of the soak left out of the memory verdict (default 120)
  --lag-threshold S     engine lag that counts as falling behind (default 1.0)
  --target host:port    an engine already running (loopback only); --http host:port for its API, --token T for its admin token
  --smsc-port N         port of the run's SMSC simulator (default: free port)
  --engine-env K=V      extra environment for the spawned engine (repeatable)
  --engine-node-arg A   extra node flag for the spawned engine (repeatable), e.g. --engine-node-arg=--cpu-prof
                        --engine-node-arg=--cpu-prof-dir=DIR (one profile per thread)
  --sipp N              also run N calls through sipp as an independent cross-check
  --out DIR             report directory (default load-tests/reports/<time>)
  --max-seconds S       hard bound on the whole run (default 1800, or the soak's length + 300 if longer)`;

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

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      calls: { type: 'string' }, duration: { type: 'string' }, rate: { type: 'string' }, arrivals: { type: 'string' },
      'scam-fraction': { type: 'string' }, 'scam-onset': { type: 'string' }, codec: { type: 'string' }, seed: { type: 'string' }, conversation: { type: 'string' },
      ramp: { type: 'boolean' }, compare: { type: 'boolean' }, variants: { type: 'string' }, soak: { type: 'string' }, 'soak-warm-up': { type: 'string' },
      'ramp-start': { type: 'string' }, 'ramp-step': { type: 'string' }, 'ramp-max': { type: 'string' },
      'step-seconds': { type: 'string' }, 'lag-threshold': { type: 'string' }, target: { type: 'string' }, http: { type: 'string' }, token: { type: 'string' },
      'smsc-port': { type: 'string' }, 'engine-env': { type: 'string', multiple: true }, 'engine-node-arg': { type: 'string', multiple: true }, sipp: { type: 'string' }, out: { type: 'string' },
      'max-seconds': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (a.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const started = new Date();
  const mode: LoadReport['mode'] = a.compare ? 'compare' : a.soak ? 'soak' : a.ramp ? 'ramp' : 'run';
  if ([a.compare, a.soak, a.ramp].filter(Boolean).length > 1) throw new Error('--ramp, --compare and --soak are separate modes: pick one');
  if (a.target && a['engine-node-arg']?.length) throw new Error('--engine-node-arg applies to an engine this run spawns; it cannot reach --target');
  if ((a.compare || a.soak) && a.target) throw new Error(`--${a.compare ? 'compare' : 'soak'} spawns its own engine${a.compare ? 's' : ''}; it cannot drive --target`);
  const log = (l: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${l}\n`);
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const outDir = resolve(a.out ?? join(repoRoot, 'load-tests/reports', started.toISOString().replace(/[:.]/g, '-')));
  mkdirSync(outDir, { recursive: true });
  const reportsRoot = join(repoRoot, 'load-tests/reports');
  if (outDir.startsWith(reportsRoot) && !existsSync(join(reportsRoot, '.gitignore'))) writeFileSync(join(reportsRoot, '.gitignore'), '*\n!.gitignore\n');

  const calls = Number(a.calls ?? 20);
  const duration = range(a.duration, { min: 30, max: 30 });
  const lagThreshold = Number(a['lag-threshold'] ?? 1);
  const soakSeconds = a.soak ? Number(a.soak) : 0;
  const maxSeconds = runBoundSeconds(soakSeconds, a['max-seconds']);
  const soakWarmUp = Number(a['soak-warm-up'] ?? 120);
  if (a.soak && !(soakSeconds > soakWarmUp)) throw new Error(`--soak ${a.soak}: must be longer than the warm-up (--soak-warm-up ${soakWarmUp})`);
  if (!(calls >= 1) || !Number.isInteger(calls)) throw new Error(`--calls ${a.calls}: expected a whole number >= 1`);
  const variants = a.compare ? selectVariants(a.variants) : [];
  const base: Omit<CallPlanOptions, 'calls' | 'ratePerSecond' | 'durationSeconds'> = {
    arrivals: a.arrivals === 'poisson' ? 'poisson' : 'uniform',
    scamFraction: Number(a['scam-fraction'] ?? 0.3),
    scamOnsetSeconds: range(a['scam-onset'], { min: 4, max: 10 }),
    codec: (a.codec as 'PCMU' | 'PCMA' | 'mixed' | undefined) ?? 'PCMU',
    seed: Number(a.seed ?? 1),
    conversation: conversationOf(a.conversation),
  };
  const errors: string[] = [];
  const lib = defaultClipLibrary();
  log(`clips: ${lib.source}; report -> ${outDir}`);
  if (base.conversation === 'spoken') {
    base.spoken = buildSpokenLibrary();
    log(`spoken scripts: ${base.spoken.source}`);
  }
  // Warm-up, not judged: an engine's first calls pay for model load and JIT, which is not what a level measures.
  // Warm-up calls are numbered far from the measured plans' numbers (see CallPlanOptions.firstIndex).
  const warm = planCalls(lib, { ...base, seed: 999, firstIndex: 9_000_000, calls: 5, ratePerSecond: 5, durationSeconds: { min: 6, max: 6 }, scamFraction: 0 });

  const machine = new MachineCpuSampler();
  machine.start();
  // One engine for a run, a ramp or a soak; --compare opens one per variant itself.
  let session: EngineSession | null = null;
  if (!a.compare) {
    const env: Record<string, string> = {};
    for (const kv of a['engine-env'] ?? []) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const external = a.target ? { target: hostPort(a.target), httpBase: a.http ? `http://${a.http}` : null, token: a.token ?? process.env.CALLGUARD_HTTP_TOKEN } : undefined;
    session = await openEngineSession({ external, env, nodeArgs: a['engine-node-arg'], smscPort: a['smsc-port'] ? Number(a['smsc-port']) : undefined });
    if (external) log(`external engine at ${a.target}; point its CALLGUARD_SMPP_URL at ${session.smppUrl} to score alerts`);
    else log(`engine pid ${session.engine!.pid}: SIP ${session.target.host}:${session.target.port}, HTTP ${session.httpBase}, SMSC simulator ${session.smsc.port}`);
  }
  const chartPoints: ChartPoint[] = [];
  const steps: StepReport[] = [];
  const allCalls: CallResult[] = [];
  let sustained: number | null = null;
  let sippResult: unknown;
  let compare: VariantResult[] | null = null;
  let soak: SoakResult | null = null;
  const hardStop = setTimeout(() => {
    log(`--max-seconds ${maxSeconds} reached: stopping`);
    errors.push(`run stopped at --max-seconds ${maxSeconds}`);
    void finish().then((c) => process.exit(c));
  }, maxSeconds * 1000);
  hardStop.unref();

  let finishing: Promise<number> | null = null;
  const finish = (): Promise<number> =>
    (finishing ??= (async () => {
      await session?.poller?.stop();
      await session?.scraper?.stop();
      session?.sampler?.stop();
      machine.stop();
      const alerts = session ? scoreAlerts(allCalls, session.smsc.received) : null;
      const poller = session?.poller ?? null;
      const lastMetrics = [...steps].reverse().find((x) => x.engineMetrics?.verdictLatencyMs)?.engineMetrics?.verdictLatencyMs;
      const report: LoadReport = {
        tool: 'callguard load-tests/run-load',
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        mode,
        options: { ...a, calls, duration, lagThreshold },
        target: {
          sip: session ? `${session.target.host}:${session.target.port}` : 'one spawned engine per variant',
          http: session?.httpBase ?? null,
          spawned: !session || !!session.engine,
          pid: session?.engine?.pid ?? null,
          note: poller && !poller.available ? 'GET /calls never answered: lag, loss and overruns not measured.' : '',
        },
        clips: lib.source,
        method: [
          'Calls: SIPREC over UDP from one SIP socket (multipart SDP + RFC 7865 rs-metadata, INVITE retransmitted per T1), two RTP legs per call from their own connected sockets, 160-byte G.711 packets every 20 ms paced by one timer for all legs.',
          'Generator health: send lag = send time minus due time of every packet; p99 above 20 ms marks a level as generator-limited.',
          'Engine CPU and RSS: /proc/<pid>/stat utime+stime (all threads, CLK_TCK ticks) differenced every second, % of one core; the main thread alone (in brackets) from /proc/<pid>/task/<pid>/stat the same way; VmRSS and Threads from /proc/<pid>/status. Only when the engine is our child process.',
          'Engine lag, RTP loss, ring overruns, seconds received: GET /calls polled every second (lagSeconds = unprocessed backlog of the worst leg). A step is judged over the window when all its calls were in media.',
          'Audio-to-verdict latency: measured by the engine per scored window, from the arrival of the RTP packet carrying the last sample the window covers (its write into the leg ring, in the same event-loop turn as the datagram when packets arrive in order) to the window\'s scored event (model + policy) reaching the supervisor; exported as the histogram callguard_window_verdict_latency_seconds, scraped from GET /metrics every 2 s and differenced over the steady window. Percentiles are interpolated inside the engine\'s buckets (25 ms apart between 0.1 and 0.25 s). Inference batch size and predict time come the same way from callguard_inference_batch_size and callguard_inference_seconds.',
          'Alerts: the run\'s own SMSC simulator; each call has its own callee (protected) number, so a submit_sm maps to a call. Latency = first submit_sm part arrival - (media start + first scam-like second).',
          'Ground truth: calm calls play Emo-DB neutral/boredom clips on both legs; scam-like calls switch at the recorded onset to anger (caller) and fear (callee) clips.',
          base.conversation === 'spoken'
            ? 'Conversation: spoken. The caller reads the held-out evaluation scripts (models/speech/eval/scripts.json) sentence by sentence in flite voices (awb, rms, kal, slt), benign ones, and from the onset on scam-like calls a scam script; the subscriber answers each sentence with a calm Emo-DB clip. Ground truth: the onset of the scam script.'
            : base.conversation === 'turns'
              ? 'Conversation: the parties take turns (the caller first); while one leg plays a clip the other plays digital silence of the same length.'
              : 'Conversation: both legs play clips back to back at the same time (the worst case for the engine: no leg is ever silent).',
          ...(mode === 'compare' ? ['Comparison: the same seeded plan against one freshly spawned engine per variant, one after the other, each warmed up with 5 calls of 6 s first and given its own SMSC simulator.'] : []),
          ...(mode === 'soak' ? ['Soak: constant concurrency, each call replaced 1 s after it ends (random lengths, so ends are scattered); engine RSS from /proc every second, main-thread heap from /metrics; memory verdict over the part after the warm-up.'] : []),
        ],
        steps,
        sustainedConcurrentCalls: sustained,
        ...(mode === 'ramp' || mode === 'run' ? { withinLatencyTarget: withinLatencyTarget(steps) } : {}),
        alerts: allCalls.length && alerts ? alerts : null,
        engineListedAlerts: poller?.available
          ? {
              scamCalls: allCalls.filter((c) => c.kind === 'scam' && (poller.calls.get(c.callId)?.alerts.length ?? 0) > 0).length,
              calmCalls: allCalls.filter((c) => c.kind === 'calm' && (poller.calls.get(c.callId)?.alerts.length ?? 0) > 0).length,
            }
          : null,
        verdictLatency: soak?.steady.verdictLatencyMs
          ? { ...soak.steady.verdictLatencyMs, source: `engine histogram, steady part of the soak (after ${soak.analysis.warmUpSeconds} s)` }
          : mode === 'compare'
            ? { unavailable: 'per variant: see the comparison table' }
            : lastMetrics
              ? { ...lastMetrics, source: `engine histogram, steady window of the last step measured (${steps[steps.length - 1].label ?? steps[steps.length - 1].targetConcurrency})` }
              : { unavailable: 'the engine did not answer GET /metrics with callguard_window_verdict_latency_seconds' },
        sippCrossCheck: sippResult,
        compare: compare ?? undefined,
        soak: soak ? { analysis: soak.analysis, steady: soak.steady, alerts: soak.alerts, samples: soak.samples } : undefined,
        speech: base.conversation === 'spoken' && poller?.available ? summariseSpeech(allCalls, poller.calls) : undefined,
        errors,
      };
      // The chart's samples are kept too: a chart can then be read against its data (which step a sample belongs to).
      writeFileSync(join(outDir, 'report.json'), JSON.stringify({ ...report, calls: allCalls.map((c) => ({ ...c, engine: session?.poller?.calls.get(c.callId) ?? null })), compareCalls: compare?.map((r) => ({ variant: r.variant.name, calls: r.calls })), chartPoints }, null, 2));
      let chart: string | null = null;
      try {
        if (soak) {
          writeFileSync(join(outDir, 'soak-chart.png'), await renderSoakChart(soak.samples, soak.analysis.warmUpSeconds, `callguard soak: ${soak.analysis.concurrency} calls for ${soak.analysis.seconds} s`));
          chart = 'soak-chart.png';
        } else if (chartPoints.length) {
          writeFileSync(join(outDir, 'load-chart.png'), await renderLoadChart(chartPoints, `callguard ${report.mode}: lag and CPU vs concurrent calls`));
          chart = 'load-chart.png';
        }
      } catch (err) {
        errors.push(`chart: ${(err as Error).message}`);
      }
      writeFileSync(join(outDir, 'report.md'), reportMarkdown(report, chart, soak));
      await session?.close();
      if (alerts && allCalls.length) log(`sustained concurrent calls: ${sustained ?? 'none'}${mode === 'ramp' || mode === 'run' ? ` (within verdict p99 ≤ ${VERDICT_P99_TARGET_MS} ms: ${latencyTargetText(withinLatencyTarget(steps))})` : ''}; alerts: recall ${alerts.recall}, false ${alerts.falseAlerts}/${alerts.calmCalls}, latency p50 ${(alerts.latencyMs.p50Ms / 1000).toFixed(2)} s`);
      log(`report: ${join(outDir, 'report.md')}`);
      return errors.length ? 1 : 0;
    })());

  try {
    if (a.compare) {
      const rate = Number(a.rate ?? Math.max(0.5, calls / 10));
      const plan = planCalls(lib, { ...base, calls, ratePerSecond: rate, durationSeconds: duration });
      log(`compare ${variants.map((v) => v.name).join(', ')}: each gets ${calls} calls, ${rate}/s, ${duration.min}-${duration.max} s, ${Math.round((base.scamFraction ?? 0) * 100)}% scam-like`);
      compare = await runComparison({ variants, plan, warmUp: warm, machine, chartPoints, lagThresholdSeconds: lagThreshold, log });
      for (const r of compare) steps.push(r.step);
    } else if (a.soak) {
      const plan = planSoak(lib, { ...base, concurrency: calls, seconds: soakSeconds, durationSeconds: duration });
      soak = await runSoak({ session: session!, plan, warmUp: warm, concurrency: calls, seconds: soakSeconds, warmUpSeconds: soakWarmUp, machine, chartPoints, lagThresholdSeconds: lagThreshold, log });
      steps.push(soak.step);
      allCalls.push(...soak.calls);
      if (soak.step.sustainable) sustained = calls;
      log(`soak: RSS slope ${soak.analysis.rssSlopeMBPerMin} MB/min (${soak.analysis.flat ? 'flat' : 'not flat'}), memory per call ${soak.analysis.memoryPerCallMB} MB`);
    } else {
      const s = session!;
      const ctx = sessionStepContext(s, { machine, chartPoints, lagThresholdSeconds: lagThreshold, log });
      log('warm-up: 5 calls of 6 s (not judged)');
      await runStep({ ...ctx, chartPoints: [], log: () => {} }, warm, 5, 'warm-up');
      if (a.ramp) {
        const start = Number(a['ramp-start'] ?? 25);
        const step = Number(a['ramp-step'] ?? 25);
        const max = Number(a['ramp-max'] ?? 1000);
        const hold = Number(a['step-seconds'] ?? 30);
        let seed = base.seed ?? 1;
        let firstIndex = 0;
        for (let level = start; level <= max; level += step) {
          // All calls of a level arrive within ~5 s and each lasts the arrival spread plus the hold, so they overlap.
          const spread = Math.min(10, Math.max(2, level / 50));
          const plan = planCalls(lib, { ...base, seed: seed++, firstIndex, calls: level, ratePerSecond: level / spread, durationSeconds: { min: hold + spread, max: hold + spread } });
          firstIndex += level;
          log(`ramp level ${level}: ${level} calls of ${hold + spread} s`);
          const { step: rep, result } = await runStep(ctx, plan, level, `${level}`);
          steps.push(rep);
          allCalls.push(...result.calls);
          if (!rep.sustainable) {
            log(`level ${level} not sustainable: ${rep.reasons.join('; ')}`);
            break;
          }
          sustained = level;
          await new Promise((r) => setTimeout(r, 3000)); // let the engine drain between levels
        }
      } else {
        const rate = Number(a.rate ?? Math.max(0.5, calls / 10));
        const plan = planCalls(lib, { ...base, calls, ratePerSecond: rate, durationSeconds: duration });
        log(`run: ${calls} calls, ${rate}/s, ${duration.min}-${duration.max} s, ${Math.round((base.scamFraction ?? 0) * 100)}% scam-like`);
        const { step: rep, result } = await runStep(ctx, plan, calls, 'run');
        steps.push(rep);
        allCalls.push(...result.calls);
        if (rep.sustainable) sustained = rep.maxConcurrentMedia;
        else log(`fell behind: ${rep.reasons.join('; ')}`);
      }
      if (a.sipp) {
        const n = Number(a.sipp);
        log(`sipp cross-check: ${n} calls`);
        sippResult = await runSippCrossCheck({ target: s.target, calls: n, rate: Math.max(1, n / 5), durationSeconds: Math.min(20, duration.min), lib, poller: s.poller, log, ourCalls: allCalls });
      }
    }
    // Alerts for calls that just ended may still be in the engine's outbox.
    await new Promise((r) => setTimeout(r, 3000));
  } catch (err) {
    errors.push((err as Error).message);
    log(`error: ${(err as Error).message}`);
  }
  return finish();
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`run-load: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  },
);

function conversationOf(v: string | boolean | undefined): 'overlapping' | 'turns' | 'spoken' {
  if (v === undefined || v === 'overlapping') return 'overlapping';
  if (v === 'turns' || v === 'spoken') return v;
  throw new Error(`--conversation ${String(v)}: expected overlapping, turns or spoken`);
}
