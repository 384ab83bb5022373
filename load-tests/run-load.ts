import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreAlerts } from './alert-scoring.js';
import { defaultClipLibrary } from './emodb-clips.js';
import { openEngineSession, type EngineSession } from './engine-session.js';
import { parseLoadArgs, USAGE } from './load-run-options.js';
import { emptyRunState, runLoadMode, warmUpPlan } from './load-run-modes.js';
import { buildLoadReport, prepareReportDir, runSummary, writeLoadReport } from './load-run-report.js';
import { MachineCpuSampler } from './proc-sampler.js';
import { machineAtEnd, machineAtStart, runCommit } from './run-provenance.js';
import { buildSpokenLibrary } from './spoken-clips.js';

/**
 * `npm run load -- [options]`: drives SIPREC load into callguard and writes a report (JSON, Markdown, PNG chart).
 * By default it spawns the engine (`bin/callguard.js serve`) on free loopback ports with alerts going to an SMSC
 * simulator it runs itself; --target host:port drives an engine that is already running instead. Modes: one run,
 * --ramp (raise concurrency until the engine falls behind), --compare (the same plan against engine variants, one
 * after the other) and --soak (constant concurrency for a long time, memory watched). Bounded: the plan is finite,
 * every step has a deadline, and --max-seconds ends the whole run. Options: load-run-options.ts; the modes:
 * load-run-modes.ts; the report: load-run-report.ts.
 */
async function main(): Promise<number> {
  const o = parseLoadArgs(process.argv.slice(2));
  if (o === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const started = new Date();
  const log = (l: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${l}\n`);
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const commit = runCommit(repoRoot);
  const machineInfo = machineAtStart();
  const outDir = prepareReportDir(repoRoot, o.out, started);

  const state = emptyRunState();
  const lib = defaultClipLibrary();
  log(`clips: ${lib.source}; report -> ${outDir}`);
  if (o.base.conversation === 'spoken') {
    o.base.spoken = buildSpokenLibrary();
    log(`spoken scripts: ${o.base.spoken.source}`);
  }
  const warm = warmUpPlan(lib, o.base);

  const machine = new MachineCpuSampler();
  machine.start();
  // One engine for a run, a ramp or a soak; --compare opens one per variant itself.
  let session: EngineSession | null = null;
  if (o.mode !== 'compare') {
    session = await openEngineSession({
      external: o.external,
      env: o.engineEnv,
      nodeArgs: o.engineNodeArgs,
      smscPort: o.smscPort,
    });
    if (o.external)
      log(`external engine at ${o.args.target}; point its CALLGUARD_SMPP_URL at ${session.smppUrl} to score alerts`);
    else
      log(
        `engine pid ${session.engine!.pid}: SIP ${session.target.host}:${session.target.port}, ` +
          `HTTP ${session.httpBase}, SMSC simulator ${session.smsc.port}`,
      );
  }
  const hardStop = setTimeout(() => {
    log(`--max-seconds ${o.maxSeconds} reached: stopping`);
    state.errors.push(`run stopped at --max-seconds ${o.maxSeconds}`);
    void finish().then((c) => process.exit(c));
  }, o.maxSeconds * 1000);
  hardStop.unref();

  let finishing: Promise<number> | null = null;
  const finish = (): Promise<number> =>
    (finishing ??= (async () => {
      await session?.poller?.stop();
      await session?.scraper?.stop();
      session?.sampler?.stop();
      machine.stop();
      const alerts = session ? scoreAlerts(state.allCalls, session.smsc.received) : null;
      const report = buildLoadReport(
        { options: o, started, commit, machine: machineAtEnd(machineInfo), session, clips: lib.source, alerts },
        state,
      );
      await writeLoadReport(outDir, report, state, session);
      await session?.close();
      if (alerts && state.allCalls.length) log(runSummary(o.mode, state, alerts));
      log(`report: ${join(outDir, 'report.md')}`);
      return state.errors.length ? 1 : 0;
    })());

  try {
    await runLoadMode({ options: o, lib, warm, session, machine, log }, state);
  } catch (err) {
    state.errors.push((err as Error).message);
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
