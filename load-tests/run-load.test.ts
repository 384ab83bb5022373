import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AlertScore } from './alert-scoring.js';
import type { LoadReport } from './load-report.js';
import type { SippCrossCheck } from './sipp-cross-check.js';

const RUN_LOAD = join(dirname(fileURLToPath(import.meta.url)), 'run-load.js');

/**
 * The load harness's smoke run, as `npm run load` runs it: a spawned engine with the shipped model and policy, its own
 * SMSC simulator, six SIPREC calls (three scam-like from their second or third second) and two sipp calls for the
 * cross-check, then the report. Correctness only: every call seen by the engine and ended, no loss, each scam-like
 * call alerted and no calm one, the report written. Timings are printed by the tool, never asserted.
 */
const npmRunLoadSmallTitle =
  'npm run load, small: every call seen by the engine, no loss, the scam-like calls alerted and no calm one, sipp ' +
  'cross-check, report written';
test(npmRunLoadSmallTitle, async () => {
  const out = mkdtempSync(join(tmpdir(), 'cg-load-smoke-'));
  try {
    // Calls of 36 s: the shipped policy takes about 20 s of scam-like speech to decide.
    const args = [
      '--calls',
      '6',
      '--duration',
      '36',
      '--rate',
      '3',
      '--scam-fraction',
      '0.5',
      '--scam-onset',
      '2-3',
      '--seed',
      '3',
      '--sipp',
      '2',
      '--out',
      out,
      '--max-seconds',
      '400',
    ];
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [RUN_LOAD, ...args],
        { timeout: 480_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
        },
      );
    });
    const tail = `${r.stdout.split('\n').slice(-12).join('\n')}\n${r.stderr}`;
    assert.is(r.code, 0, tail);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as LoadReport & {
      calls: Array<{ kind: string; outcome: string }>;
      sippCrossCheck: SippCrossCheck;
    };
    assert.equal(report.errors, []);
    assert.match(report.commit?.sha ?? '', /^[0-9a-f]{40}$/, 'the commit that ran (the tests run in a git checkout)');
    assert.ok(
      report.machine.cores >= 1 && report.machine.loadAverageEnd?.length === 3,
      'the machine, with its load at the end',
    );
    assert.is(report.steps.length, 1);
    const step = report.steps[0];
    assert.is(step.calls, 6);
    assert.is(step.callsInMedia, 6);
    assert.is(step.callsSeenByEngine, 6, 'every call listed by the engine');
    assert.equal(step.generator.failures, {});
    assert.is(step.rtpPacketsLost, 0);
    assert.is(step.ringOverrunSamples, 0);
    assert.ok(
      !step.reasons.some((x) => /never listed|failed|RTP loss|overrun|exited/.test(x)),
      step.reasons.join('; '),
    );
    assert.equal(
      report.calls.map((c) => c.outcome),
      new Array(6).fill('completed'),
    );

    const alerts = report.alerts as AlertScore;
    assert.equal([alerts.scamCalls, alerts.calmCalls], [3, 3]);
    assert.is(alerts.recall, 1, 'every scam-like call alerted');
    assert.is(alerts.falseAlerts, 0, 'no calm call alerted');
    assert.is(alerts.earlyAlerts, 0, 'no alert before the scam-like audio began');
    assert.is(alerts.unmatchedSubmits, 0);
    assert.equal(report.engineListedAlerts, { scamCalls: 3, calmCalls: 0 });

    const sipp = report.sippCrossCheck;
    assert.ok(sipp.available, sipp.note);
    assert.is(sipp.sipp.successful, 2);
    assert.is(sipp.engineSawSipp?.calls, 2);
    assert.is(sipp.engineSawSipp?.packetsLost, 0);
    assert.is(sipp.engineSawOurs?.calls, 6);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, '| run | 6 (6 / 6) |');
    assert.match(md, `Commit: \`${report.commit?.sha}\``);
    const png = readFileSync(join(out, 'load-chart.png'));
    assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG chart');
    assert.ok(existsSync(join(out, 'report.md')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
