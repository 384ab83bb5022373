import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml, stringify } from 'yaml';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { repoRoot } from '../../test/support/repo-paths.js';
import { Engine, drainAndClose } from '../engine.js';

/**
 * docs/prometheus/callguard-rules.yml against the real engine: every metric a rule reads is one a running engine
 * exports (with the labels the rule selects on), `promtool check rules` accepts the file, and `promtool test rules`
 * with the engine's own scraped series shows a healthy engine firing nothing and each fault firing its alert.
 */
const RULES = join(repoRoot, 'docs', 'prometheus', 'callguard-rules.yml');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseScrape(text: string): { samples: Sample[]; declared: Set<string> } {
  const samples: Sample[] = [];
  const declared = new Set<string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) /.exec(line);
    if (t) declared.add(t[1]);
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, declared };
}

const series = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries({ ...labels, job: 'callguard', instance: 'e1' })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

const prometheusRulesAndTheTitle =
  'Prometheus rules and the Grafana dashboard: promtool accepts them, every metric they read is exported by a ' +
  'running engine, a healthy engine fires no alert and each fault fires its own';
test(prometheusRulesAndTheTitle, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-prom-'));
  const c = testConfig();
  const base = 44000 + (process.pid % 100) * 20;
  const engine = new Engine(
    {
      ...c,
      sip: { ...c.sip, port: 0, transports: ['udp'] },
      http: { ...c.http, port: 0, token: 't' },
      rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      data: { dir },
    },
    quietLog,
  );
  await engine.start();
  try {
    const url = `http://127.0.0.1:${engine.http.address().port}`;
    for (let i = 0; i < 100 && (await fetch(`${url}/readyz`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
    const { samples, declared } = parseScrape(await (await fetch(`${url}/metrics`)).text());
    const get = (name: string, where: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));

    /**
     * Every callguard metric a query reads is exported (histograms by their _bucket series), with the label values it
     * selects.
     */
    const assertExported = (what: string, expr: string) => {
      for (const [, name, sel] of expr.matchAll(/(callguard_\w+)(?:\{([^}]*)\})?/g)) {
        const base = name.replace(/_bucket$/, '');
        assert.ok(declared.has(base) || declared.has(base.replace(/_total$/, '')), `${what}: ${name} is not exported`);
        for (const [, k, op, v] of (sel ?? '').matchAll(/(\w+)\s*(=~|=)\s*"([^"]*)"/g)) {
          if (op !== '=' || get(name).length === 0) continue; // a counter with no series yet, or a regex over types
          assert.ok(get(name, { [k]: v }).length > 0, `${what}: no ${name}{${k}="${v}"} in the scrape`);
        }
      }
    };

    const rules = (
      parseYaml(readFileSync(RULES, 'utf8')) as {
        groups: Array<{
          rules: Array<{
            alert: string;
            expr: string;
            labels: Record<string, string>;
            annotations: Record<string, string>;
          }>;
        }>;
      }
    ).groups.flatMap((g) => g.rules);
    for (const r of rules) assertExported(r.alert, r.expr);
    execFileSync('promtool', ['check', 'rules', RULES], { stdio: 'pipe' });

    // The Grafana dashboard: every query reads metrics the engine exports (histograms by their _bucket series), with
    // the label values it selects, and is valid PromQL (promtool checks each as a recording rule).
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'docs', 'grafana', 'callguard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    assert.ok(queries.length >= 12, `${queries.length} queries`);
    for (const q of queries) assertExported(q.panel, q.expr);
    const asRules = join(dir, 'dashboard-queries.yml');
    writeFileSync(
      asRules,
      stringify({
        groups: [
          { name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr })) },
        ],
      }),
    );
    execFileSync('promtool', ['check', 'rules', asRules], { stdio: 'pipe' });

    // The engine's own series, held at their scraped values for 30 minutes: nothing may fire.
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/callguard_\w+/g)].map((m) => m[0])));
    const healthy = samples
      .filter((s) => used.has(s.name))
      .map((s) => ({ series: series(s.name, s.labels), values: `${s.value}+0x30` }));
    healthy.push({ series: series('up', {}), values: '1+0x30' });
    const alertNames = rules.map((r) => r.alert);
    const bind = get('callguard_smpp_bind_up')[0]?.labels ?? {};
    const size = get('callguard_data_dir_bytes', { kind: 'size' })[0]?.value ?? 1e9;
    // Each fault: the series that change (the rest as scraped), and the alert with the labels it must carry.
    const faults: Array<{
      alert: string;
      change: Array<{ name: string; labels: Record<string, string>; values: string }>;
      labels: Record<string, string>;
      value?: string;
    }> = [
      {
        alert: 'CallguardDown',
        change: [{ name: 'up', labels: {}, values: '0x30' }],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardNotReady',
        change: [{ name: 'callguard_ready', labels: {}, values: '0x30' }],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardSmppUnbound',
        change: [{ name: 'callguard_smpp_bind_up', labels: bind, values: '0x30' }],
        labels: { instance: 'e1' },
      },
      {
        alert: 'CallguardOutboxGrowing',
        change: [{ name: 'callguard_outbox_depth', labels: { kind: 'pending_alerts' }, values: '0+1x30' }],
        labels: { job: 'callguard', instance: 'e1', kind: 'pending_alerts' },
        value: '25',
      },
      {
        alert: 'CallguardReceiptsFailing',
        change: [{ name: 'callguard_sms_alert_events_total', labels: { type: 'undeliverable' }, values: '0+1x30' }],
        labels: { job: 'callguard', instance: 'e1', type: 'undeliverable' },
      },
      {
        alert: 'CallguardFallingBehind',
        change: [{ name: 'callguard_actor_lag_seconds_max', labels: {}, values: '2x30' }],
        labels: { job: 'callguard', instance: 'e1' },
        value: '2',
      },
      {
        alert: 'CallguardRingOverruns',
        change: [{ name: 'callguard_ring_overrun_samples_total', labels: {}, values: '0+800x30' }],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardRtpLoss',
        change: [
          { name: 'callguard_rtp_packets_received_total', labels: {}, values: '0+3000x30' },
          { name: 'callguard_rtp_packets_lost_total', labels: {}, values: '0+300x30' },
        ],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardDataDirFilling',
        change: [
          { name: 'callguard_data_dir_bytes', labels: { kind: 'free' }, values: `${Math.round(size * 0.05)}x30` },
        ],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardWorkersCrashing',
        change: [{ name: 'callguard_worker_crashes_total', labels: {}, values: '0+1x30' }],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardRtpIoThreadsRestarting',
        change: [{ name: 'callguard_rtp_io_thread_restarts_total', labels: {}, values: '0+1x30' }],
        labels: { job: 'callguard', instance: 'e1' },
      },
      {
        alert: 'CallguardRtpIoThreadSaturated',
        change: [{ name: 'callguard_rtp_io_thread_busy_seconds', labels: { thread: '0' }, values: '0+55x30' }],
        labels: { job: 'callguard', instance: 'e1', thread: '0' },
      },
      {
        alert: 'CallguardStoreDown',
        change: [{ name: 'callguard_store_up', labels: { kind: 'lmdb' }, values: '0x30' }],
        labels: { job: 'callguard', instance: 'e1', kind: 'lmdb' },
      },
      {
        alert: 'CallguardAlertsDroppedUnchecked',
        change: [{ name: 'callguard_store_held_total', labels: { outcome: 'expired' }, values: '0+1x30' }],
        labels: { job: 'callguard', instance: 'e1', outcome: 'expired' },
      },
    ];
    assert.equal(faults.map((f) => f.alert).sort(), [...alertNames].sort(), 'a fault for every rule');
    const tests = [
      {
        interval: '1m',
        input_series: healthy,
        alert_rule_test: alertNames.map((alertname) => ({ eval_time: '25m', alertname, exp_alerts: [] })),
      },
      ...faults.map((f) => {
        const changed = new Set(f.change.map((c) => series(c.name, c.labels)));
        const input = [
          ...healthy.filter((h) => !changed.has(h.series)),
          ...f.change.map((c) => ({ series: series(c.name, c.labels), values: c.values })),
        ];
        const rule = rules.find((r) => r.alert === f.alert)!;
        // The annotation as Prometheus renders it for these labels and value.
        const render = (t: string) =>
          t
            .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => f.labels[k] ?? '')
            .replace(/\{\{ \$value \}\}/g, f.value ?? '');
        const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v)]));
        return {
          interval: '1m',
          input_series: input,
          alert_rule_test: [
            {
              eval_time: '25m',
              alertname: f.alert,
              exp_alerts: [{ exp_labels: { ...f.labels, ...rule.labels }, exp_annotations: annotations }],
            },
          ],
        };
      }),
    ];
    const testFile = join(dir, 'rules.test.yml');
    writeFileSync(testFile, stringify({ rule_files: [RULES], evaluation_interval: '1m', tests }));
    try {
      execFileSync('promtool', ['test', 'rules', testFile], { stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: Buffer; stderr?: Buffer };
      assert.unreachable(`promtool test rules failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
    }
  } finally {
    await drainAndClose(engine, 1);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
