import { statfsSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { threadCpuSeconds } from '../../common/thread-cpu.js';
import type { AlertService, AlertServiceEvent } from '../../smpp/index.js';
import type { InferenceStats } from '../../actors/actor-step.js';
import type { WorkerDescription } from '../../actors/worker-control.js';
import type { SiprecServer } from '../ingest/siprec-server.js';
import type { Supervisor } from '../supervisor.js';
import type { SpeechStats } from '../speech/speech-service.js';

/** What the metrics read: the engine's components (the engine passes itself). */
export interface MetricSources {
  readonly supervisor: Supervisor;
  readonly siprec: {
    readonly server: SiprecServer;
    readonly draining: boolean;
    readonly skipped: Readonly<Record<string, number>>;
  };
  readonly alerts: { readonly service: AlertService | null };
  readonly http: {
    requests: number;
    errors: number;
    unauthorized: number;
    hostRefused: number;
    unsupportedMedia: number;
  };
  readonly subscribers: { count(): number | Promise<number> } | null;
  /** The store: its health, the work held while it is down, outages seen. */
  readonly store?: { kind: string; health(): { state: 'up' | 'down' } } | null;
  readonly held?: { size(kind?: 'alert' | 'record'): number; readonly counts: Readonly<Record<string, number>> };
  readonly storeCounters?: { readonly outages: number; readonly gateUnchecked: number };
  /** Retention sweeps: items deleted per kind (alert_records, sms_outbox, captures). */
  readonly retention?: { readonly purged: Readonly<Record<string, number>> } | null;
  /** Debug audio capture: captures started, bytes on disk. */
  readonly capture?: { readonly started: number; totalBytes(): number } | null;
  /** Spoken-content recognition slots. */
  readonly speech?: { stats(): SpeechStats } | null;
  /** The engine's configuration (the data directory's disk is watched). */
  readonly config?: { readonly data: { readonly dir: string } };
  /** The same checks as GET /readyz. */
  readiness?(): Promise<{ ready: boolean; checks: ReadonlyArray<{ name: string; ok: boolean }> }>;
}

const BIND_STATES = ['down', 'connecting', 'bound', 'closing', 'closed'] as const;

/** Buckets for actor lag (seconds behind real time): a healthy actor is under the tick, trouble is seconds. */
const LAG_BUCKETS = [0.05, 0.1, 0.2, 0.5, 1, 2, 4, 8];
/**
 * Audio-to-verdict latency: a healthy engine answers within a tick plus the least chunk worth a step (~0.1–0.25 s),
 * so the buckets are 25 ms apart there (a load report interpolates percentiles inside them); seconds mean it fell
 * behind.
 */
const VERDICT_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
];
/** Windows per predict: the predictor pads to these sizes anyway. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];
/** One predict: about 0.3 ms per window batched on the wasm backend, a few ms for a full batch; more is trouble. */
const INFERENCE_BUCKETS = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512];

/** Export a cumulative value kept elsewhere as a counter (the components own their counters; this only reads them). */
function setCounter(c: Counter<string>, value: number): void {
  c.reset();
  c.inc(value);
}

/**
 * The engine's Prometheus metrics (prom-client), on their own registry. Almost everything is read at scrape time from
 * the counters the components already keep (supervisor.stats(), ingest stats(), AlertService.status()), so nothing is
 * added to the hot paths; SMS outcomes are counted from AlertService events, actor lag is sampled once a second into a
 * histogram, and three histograms are fed by supervisor events: each window's audio-to-verdict latency, and each model
 * predict's batch size and duration (which the workers return with every task).
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly smsEvents: Counter<'type'>;
  private readonly overrunEvents: Counter<string>;
  private readonly lag: Histogram<string>;
  private readonly smppResponse: Histogram<string>;
  private readonly verdictLatency: Histogram<string>;
  private readonly batchSize: Histogram<string>;
  private readonly inferenceSeconds: Histogram<string>;
  private readonly inferenceSkipped: Counter<string>;
  private sampler: NodeJS.Timeout | null = null;
  private service: AlertService | null = null;
  private readonly onSmsEvent = (e: AlertServiceEvent) => {
    if (e.type !== 'mo' && e.type !== 'bind') this.smsEvents.inc({ type: e.type });
  };
  private readonly onOverrun = () => this.overrunEvents.inc();
  private readonly onVerdictLatency = (seconds: number) => this.verdictLatency.observe(seconds);
  private readonly onInference = (s: InferenceStats) => {
    for (let i = 0; i < s.batches.length; i++) {
      this.batchSize.observe(s.batches[i]);
      this.inferenceSeconds.observe(s.seconds[i]);
    }
    if (s.skipped) this.inferenceSkipped.inc(s.skipped);
  };

  constructor(private readonly src: MetricSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'callguard_' });

    new Gauge({
      name: 'callguard_active_calls',
      help: 'Calls being analysed by the supervisor',
      registers: [r],
      collect() {
        this.set(src.supervisor.stats().activeCalls);
      },
    });
    // One round of describeWorkers() per scrape, shared by the three worker gauges (each collects in the same scrape).
    // It bounds each answer by its own timeout, so a busy or stuck worker cannot hang a scrape.
    let described: { at: number; workers: Promise<WorkerDescription[]> } | null = null;
    const workers = (): Promise<WorkerDescription[]> => {
      const now = Date.now();
      if (!described || now - described.at > 250) described = { at: now, workers: src.supervisor.describeWorkers() };
      return described.workers;
    };
    const perWorker = (name: string, help: string, pick: (d: WorkerDescription) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['thread'],
        registers: [r],
        async collect() {
          this.reset();
          let sum = 0;
          for (const d of await workers()) {
            const v = pick(d);
            if (v === null) continue;
            this.set({ thread: String(d.threadId) }, v);
            sum += v;
          }
          this.set({ thread: 'all' }, sum);
        },
      });
    perWorker(
      'callguard_worker_heap_used_bytes',
      'V8 heap in use in each worker thread (asked over its control channel at scrape time), and their sum as ' +
        'thread="all"',
      (d) => d.heapUsedBytes,
    );
    perWorker(
      'callguard_worker_cpu_seconds',
      'CPU time of each actor worker thread since it started, measured by the thread itself (Linux ' +
        '/proc/thread-self), and their sum as thread="all": rate() is a share of a core',
      (d) => d.cpuSeconds,
    );
    perWorker(
      'callguard_worker_heap_total_bytes',
      'V8 heap committed by each worker thread (in use plus free pages it keeps; part of the RSS), and their sum ' +
        'as thread="all"',
      (d) => d.heapTotalBytes,
    );
    new Gauge({
      name: 'callguard_worker_heap_space_bytes',
      help:
        'V8 heap committed by each worker thread per heap space (new_space, old_space, code_space, ' +
        'large_object_space, ...)',
      labelNames: ['thread', 'space'],
      registers: [r],
      async collect() {
        this.reset();
        for (const d of await workers())
          for (const [space, bytes] of Object.entries(d.heapSpaces ?? {}))
            this.set({ thread: String(d.threadId), space }, bytes);
      },
    });
    perWorker(
      'callguard_worker_external_memory_bytes',
      'Memory outside the V8 heap each worker isolate accounts for (ArrayBuffers and the views it holds of call ' +
        'slabs), and their sum as thread="all"',
      (d) => d.externalBytes ?? 0,
    );
    perWorker(
      'callguard_worker_backend_memory_bytes',
      "The model backend's own memory in each worker (the wasm linear memory; outside every V8 heap space), and " +
        'their sum as thread="all"',
      (d) => d.backendMemoryBytes ?? 0,
    );
    new Gauge({
      name: 'callguard_call_slab_bytes',
      help:
        'SharedArrayBuffer slabs of the calls: state="live" held by calls that are up, state="idle" kept for the ' +
        'next calls (bounded)',
      labelNames: ['state'],
      registers: [r],
      collect() {
        const st = src.supervisor.stats();
        this.set({ state: 'live' }, st.slabBufferLiveBytes);
        this.set({ state: 'idle' }, st.slabBufferIdleBytes);
      },
    });
    new Gauge({
      name: 'callguard_speech_slots',
      help:
        'Spoken-content recognition slots: state="busy" held by a call leg, state="free"; 0 for both when ' +
        'recognition is off',
      labelNames: ['state'],
      registers: [r],
      collect() {
        const st = src.speech?.stats();
        this.set({ state: 'busy' }, st?.busySlots ?? 0);
        this.set({ state: 'free' }, st ? st.slots - st.busySlots : 0);
      },
    });
    new Gauge({
      name: 'callguard_speech_queued_legs',
      help: 'Call legs waiting for a recognition slot',
      registers: [r],
      collect() {
        this.set(src.speech?.stats().queuedLegs ?? 0);
      },
    });
    new Gauge({
      name: 'callguard_speech_enabled',
      help: '1 when spoken-content recognition runs, 0 when it is off (see the log for why)',
      registers: [r],
      collect() {
        this.set(src.speech?.stats().enabled ? 1 : 0);
      },
    });
    new Counter({
      name: 'callguard_speech_intents_total',
      help: 'Spoken intents heard, by intent (names only; no words are kept)',
      labelNames: ['intent'],
      registers: [r],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(src.speech?.stats().intents ?? {})) this.inc({ intent: k }, v);
      },
    });
    const speechCounters: Array<[string, string, keyof SpeechStats]> = [
      [
        'callguard_speech_audio_seconds_total',
        'Seconds of audio recognised (legs that left their slot)',
        'audioSeconds',
      ],
      [
        'callguard_speech_slot_handovers_total',
        'Slots handed from a leg that heard nothing in its slice to a waiting leg',
        'slotHandovers',
      ],
      [
        'callguard_speech_slot_preemptions_total',
        'Slots taken from an unflagged leg for a leg the keyword spotter flagged',
        'slotPreemptions',
      ],
      ['callguard_speech_thread_restarts_total', 'Recognition threads restarted after they died', 'threadRestarts'],
      [
        'callguard_speech_dropped_samples_total',
        'Samples a recognition ring could not take (the recogniser fell behind)',
        'droppedSamples',
      ],
      ['callguard_speech_slot_errors_total', 'Recognition slots that failed (the leg queued again)', 'slotErrors'],
    ];
    for (const [name, help, key] of speechCounters)
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          setCounter(this, Number(src.speech?.stats()[key] ?? 0));
        },
      });
    new Gauge({
      name: 'callguard_sip_active_calls',
      help: 'SIPREC sessions up on the SIP side (analysed or not)',
      registers: [r],
      collect() {
        this.set(src.siprec.server.stats().activeCalls);
      },
    });
    new Gauge({
      name: 'callguard_active_legs',
      help: 'Audio legs of the calls being analysed',
      registers: [r],
      collect() {
        this.set(src.supervisor.lagsAndLegs().legs);
      },
    });
    new Gauge({
      name: 'callguard_rtp_ports_used',
      help: 'RTP ports in use (two per call)',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        const p = src.siprec.server.stats().rtpPorts;
        this.set({ kind: 'used' }, p.used);
        this.set({ kind: 'capacity' }, p.capacity);
      },
    });
    new Gauge({
      name: 'callguard_rtp_io_thread_legs',
      help: 'Legs received by each RTP I/O thread (none without rtp.ioThreads)',
      labelNames: ['thread'],
      registers: [r],
      collect() {
        this.reset();
        src.siprec.server.stats().ioThreads.legs.forEach((n, i) => this.set({ thread: String(i) }, n));
      },
    });
    new Gauge({
      name: 'callguard_rtp_io_thread_busy_seconds',
      help:
        'Busy time of each RTP I/O thread since it (re)started (event loop not idle): rate() is its share of a ' +
        'core',
      labelNames: ['thread'],
      registers: [r],
      collect() {
        this.reset();
        src.siprec.server.stats().ioThreads.busySeconds.forEach((s, i) => this.set({ thread: String(i) }, s));
      },
    });
    new Gauge({
      name: 'callguard_rtp_io_thread_cpu_seconds',
      help:
        'CPU time of each RTP I/O thread since it (re)started, measured by the thread itself (Linux ' +
        '/proc/thread-self): rate() is its share of a core',
      labelNames: ['thread'],
      registers: [r],
      collect() {
        this.reset();
        src.siprec.server.stats().ioThreads.cpuSeconds.forEach((s, i) => {
          if (s !== null) this.set({ thread: String(i) }, s);
        });
      },
    });
    new Gauge({
      name: 'callguard_main_thread_cpu_seconds',
      help:
        'CPU time of the engine main thread (SIP, HTTP, scheduling, SMPP) since start (Linux /proc/thread-self): ' +
        'the one thread more cores do not relieve',
      registers: [r],
      collect() {
        const s = threadCpuSeconds();
        if (s !== null) this.set(s);
      },
    });
    new Counter({
      name: 'callguard_rtp_io_thread_restarts_total',
      help: 'RTP I/O threads that died and were replaced (their legs re-opened)',
      registers: [r],
      collect() {
        setCounter(this, src.siprec.server.stats().ioThreads.restarts);
      },
    });
    new Gauge({
      name: 'callguard_draining',
      help: '1 while the engine refuses new calls before shutting down',
      registers: [r],
      collect() {
        this.set(src.siprec.draining ? 1 : 0);
      },
    });
    new Counter({
      name: 'callguard_rtp_packets_received_total',
      help: 'RTP packets received',
      registers: [r],
      collect() {
        setCounter(this, src.siprec.server.stats().counters['rtp.received']);
      },
    });
    new Counter({
      name: 'callguard_rtp_packets_lost_total',
      help: 'RTP packets lost (sequence gaps)',
      registers: [r],
      collect() {
        setCounter(this, src.siprec.server.stats().counters['rtp.lost']);
      },
    });
    new Counter({
      name: 'callguard_ingest_events_total',
      help: 'Every ingest counter (SIP, SDP, metadata, calls, RTP): rejects, drops, timeouts',
      labelNames: ['event'],
      registers: [r],
      collect() {
        const c = src.siprec.server.stats().counters;
        this.reset();
        for (const [k, v] of Object.entries(c)) if (v) this.inc({ event: k }, v);
      },
    });
    new Counter({
      name: 'callguard_calls_not_analysed_total',
      help:
        'Calls answered on SIP but not analysed (subscribers.enforce: not enrolled, opted out, no subscriber ' +
        'number)',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(src.siprec.skipped)) if (v) this.inc({ reason: k }, v);
      },
    });
    const sup = (name: string, help: string, key: keyof ReturnType<Supervisor['stats']>) =>
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          setCounter(this, src.supervisor.stats()[key]);
        },
      });
    sup('callguard_calls_started_total', 'Calls started in the supervisor', 'callsStarted');
    sup('callguard_calls_ended_total', 'Calls ended normally', 'callsEnded');
    sup('callguard_calls_failed_total', 'Calls whose analysis was abandoned', 'callsFailed');
    sup('callguard_ring_overrun_samples_total', 'Audio samples dropped because a leg ring was full', 'overrunSamples');
    sup('callguard_windows_scored_total', 'Analysis windows scored (model + policy)', 'windows');
    sup(
      'callguard_duplicate_windows_dropped_total',
      'Replayed windows dropped after a worker crash',
      'duplicateWindowsDropped',
    );
    sup('callguard_worker_crashes_total', 'Pool worker crashes (their calls are resubmitted)', 'workerCrashes');
    sup('callguard_pool_replacements_total', 'Times the whole worker pool was rebuilt', 'poolReplacements');
    sup('callguard_actor_restarts_total', 'Actor restarts after failed steps', 'actorRestarts');
    sup('callguard_actor_errors_total', 'Per-leg DSP errors (leg restarted)', 'actorErrors');
    sup('callguard_pool_tasks_total', 'Tasks handed to the worker pool', 'tasks');
    sup('callguard_alerts_raised_total', 'Scam alerts raised by the policy', 'alerts');
    sup(
      'callguard_window_verdict_latency_unknown_total',
      'Windows whose audio-to-verdict latency could not be measured (arrival record overwritten: far behind)',
      'verdictLatencyUnknown',
    );
    this.verdictLatency = new Histogram({
      name: 'callguard_window_verdict_latency_seconds',
      help:
        'Per window: from the arrival of the RTP packet carrying the last audio it covers to its verdict (model, ' +
        'unless the window has too little speech, + policy) reaching the supervisor',
      buckets: VERDICT_BUCKETS,
      registers: [r],
    });
    this.batchSize = new Histogram({
      name: 'callguard_inference_batch_size',
      help: 'Windows per model predict (before padding)',
      buckets: BATCH_BUCKETS,
      registers: [r],
    });
    this.inferenceSeconds = new Histogram({
      name: 'callguard_inference_seconds',
      help: 'Duration of one model predict in a worker',
      buckets: INFERENCE_BUCKETS,
      registers: [r],
    });
    this.inferenceSkipped = new Counter({
      name: 'callguard_inference_skipped_windows_total',
      help: 'Windows not scored by the model: too little speech for the policy to read their emotions',
      registers: [r],
    });
    this.overrunEvents = new Counter({
      name: 'callguard_ring_overruns_total',
      help: 'Ring overrun events (a write that did not fit)',
      registers: [r],
    });
    this.smsEvents = new Counter({
      name: 'callguard_sms_alert_events_total',
      help:
        'SMS alert outcomes from the SMPP service: queued, submitted (sent), delivered, undeliverable, expired, ' +
        'failed; and opt-out/opt-in/feedback MO',
      labelNames: ['type'],
      registers: [r],
    });
    new Gauge({
      name: 'callguard_data_dir_bytes',
      help:
        'The file system of data.dir (outbox, subscribers, alert records, captures): free bytes (available to the ' +
        'engine) and size',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        this.reset();
        const dir = src.config?.data.dir;
        if (!dir) return;
        try {
          const st = statfsSync(dir);
          this.set({ kind: 'free' }, st.bavail * st.bsize);
          this.set({ kind: 'size' }, st.blocks * st.bsize);
        } catch {
          // not created yet, or gone: nothing to report rather than a failed scrape
        }
      },
    });
    // Both readiness gauges are collected in the same scrape (concurrently): they share one evaluation, which asks
    // every worker for its state.
    let readinessPending: ReturnType<NonNullable<MetricSources['readiness']>> | null = null;
    const readinessOnce = () => {
      if (!src.readiness) return Promise.resolve(null);
      if (!readinessPending) {
        const p = src.readiness();
        readinessPending = p;
        const clear = () => void (readinessPending = null);
        p.then(clear, clear);
      }
      return readinessPending;
    };
    new Gauge({
      name: 'callguard_ready',
      help:
        '1 while the engine is ready (GET /readyz would answer 200), else 0; callguard_readiness_check says which ' +
        'check fails',
      registers: [r],
      async collect() {
        const ready = await readinessOnce();
        this.set(ready ? (ready.ready ? 1 : 0) : 1);
      },
    });
    new Gauge({
      name: 'callguard_readiness_check',
      help: 'Each readiness check of GET /readyz: 1 passing, 0 failing',
      labelNames: ['check'],
      registers: [r],
      async collect() {
        this.reset();
        const ready = await readinessOnce();
        for (const c of ready?.checks ?? []) this.set({ check: c.name }, c.ok ? 1 : 0);
      },
    });
    new Counter({
      name: 'callguard_smpp_bind_events_total',
      help:
        'Per SMPP bind: binds, bind failures, lost links, throttling, deliver_sm answered, and PDUs from the SMSC ' +
        'refused (framingLost: bad command_length, link dropped; badRequests: nacked; badResponses: link dropped)',
      labelNames: ['bind', 'event'],
      registers: [r],
      collect() {
        this.reset();
        for (const b of src.alerts.service?.status().binds ?? [])
          for (const [k, v] of Object.entries(b.counters)) if (v) this.inc({ bind: b.name, event: k }, v);
      },
    });
    new Counter({
      name: 'callguard_sms_counters_total',
      help:
        'The SMPP alert service counters (enqueued, rejected, submitted, retried, throttled, timeouts, ' +
        'deadLettered, delivered, ...)',
      labelNames: ['counter'],
      registers: [r],
      collect() {
        this.reset();
        const s = src.alerts.service?.status();
        if (s) for (const [k, v] of Object.entries(s.counters)) if (v) this.inc({ counter: k }, v);
      },
    });
    new Gauge({
      name: 'callguard_smpp_bind_up',
      help: '1 when the SMPP bind is bound',
      labelNames: ['bind'],
      registers: [r],
      collect() {
        this.reset();
        for (const b of src.alerts.service?.status().binds ?? [])
          this.set({ bind: b.name }, b.state === 'bound' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'callguard_smpp_bind_state',
      help: 'SMPP bind state: 1 for the state each bind is in (down, connecting, bound, closing, closed)',
      labelNames: ['bind', 'state'],
      registers: [r],
      collect() {
        this.reset();
        for (const b of src.alerts.service?.status().binds ?? [])
          for (const st of BIND_STATES) this.set({ bind: b.name, state: st }, b.state === st ? 1 : 0);
      },
    });
    new Gauge({
      name: 'callguard_smpp_window',
      help: 'SMPP window: outstanding submit_sm (in_flight) and the total size over binds',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        const s = src.alerts.service?.status();
        this.set({ kind: 'in_flight' }, s?.window.inFlight ?? 0);
        this.set({ kind: 'size' }, s?.window.size ?? 0);
      },
    });
    new Gauge({
      name: 'callguard_smpp_window_occupancy_ratio',
      help: 'Outstanding submit_sm over the window size (0..1)',
      registers: [r],
      collect() {
        const s = src.alerts.service?.status();
        this.set(s && s.window.size ? s.window.inFlight / s.window.size : 0);
      },
    });
    new Gauge({
      name: 'callguard_outbox_depth',
      help: 'Persistent SMS outbox: queued parts, alerts pending submission, alerts awaiting a delivery receipt',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        const o = src.alerts.service?.status().outbox;
        this.set({ kind: 'queued_parts' }, o?.queuedParts ?? 0);
        this.set({ kind: 'pending_alerts' }, o?.pendingAlerts ?? 0);
        this.set({ kind: 'awaiting_receipt' }, o?.awaitingReceipt ?? 0);
      },
    });
    new Gauge({
      name: 'callguard_actor_lag_seconds_max',
      help: 'Largest unprocessed backlog over the active calls (seconds behind real time)',
      registers: [r],
      collect() {
        let m = 0;
        for (const lag of src.supervisor.lagsAndLegs().lags) m = Math.max(m, lag);
        this.set(m);
      },
    });
    this.smppResponse = new Histogram({
      name: 'callguard_smpp_response_seconds',
      help: 'Time from each submit_sm to the SMSC response',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    this.lag = new Histogram({
      name: 'callguard_actor_lag_seconds',
      help: 'Per-call actor lag, sampled once a second for every active call',
      buckets: LAG_BUCKETS,
      registers: [r],
    });
    new Gauge({
      name: 'callguard_subscribers',
      help: 'Enrolled protected subscribers',
      registers: [r],
      async collect() {
        try {
          this.set((await src.subscribers?.count()) ?? 0);
        } catch {
          // the shared store is down: the last value stays (callguard_store_up says why)
        }
      },
    });
    new Gauge({
      name: 'callguard_store_up',
      help: 'Whether the store (lmdb, or PostgreSQL when store.url is set) answers: 1 up, 0 down',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        this.reset();
        if (src.store) this.set({ kind: src.store.kind }, src.store.health().state === 'up' ? 1 : 0);
      },
    });
    new Counter({
      name: 'callguard_store_outages_total',
      help: 'Times the store stopped answering (connection lost or refused, statement timeout)',
      registers: [r],
      collect() {
        setCounter(this, src.storeCounters?.outages ?? 0);
      },
    });
    new Counter({
      name: 'callguard_store_gate_unchecked_total',
      help:
        'Calls analysed without an enrolment check because the store was down (subscribers.enforce; no alert is ' +
        'sent before consent is checked)',
      registers: [r],
      collect() {
        setCounter(this, src.storeCounters?.gateUnchecked ?? 0);
      },
    });
    new Gauge({
      name: 'callguard_store_held',
      help:
        'Work waiting for the store to answer: alert decisions (not sent until consent is checked) and alert ' +
        'record writes',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        this.reset();
        for (const k of ['alert', 'record'] as const) this.set({ kind: k }, src.held?.size(k) ?? 0);
      },
    });
    new Counter({
      name: 'callguard_store_held_total',
      help:
        'Alert decisions that met a store outage, by outcome: held, released (decided once the store answered), ' +
        'expired (no longer relevant: not sent); failed: store work dropped on an error that is not an outage',
      labelNames: ['outcome'],
      registers: [r],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(src.held?.counts ?? {})) this.inc({ outcome: k }, v);
      },
    });
    new Counter({
      name: 'callguard_retention_purged_total',
      help: 'Items deleted by retention sweeps: alert_records, sms_outbox (SMS records), captures (WAV files)',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(src.retention?.purged ?? {})) this.inc({ kind: k }, v);
      },
    });
    new Counter({
      name: 'callguard_debug_captures_total',
      help: 'Debug audio captures started (calls written to disk as WAV)',
      registers: [r],
      collect() {
        setCounter(this, src.capture?.started ?? 0);
      },
    });
    new Gauge({
      name: 'callguard_debug_capture_bytes',
      help: 'Bytes of debug audio captures on disk (retention.captureMaxBytes is the limit)',
      registers: [r],
      collect() {
        this.set(src.capture?.totalBytes() ?? 0);
      },
    });
    new Counter({
      name: 'callguard_http_requests_total',
      help:
        'HTTP API requests, handler failures, and requests refused for their token (401), Host (421) or body type ' +
        '(415)',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        this.reset();
        this.inc({ kind: 'all' }, src.http.requests);
        this.inc({ kind: 'error' }, src.http.errors);
        this.inc({ kind: 'unauthorized' }, src.http.unauthorized);
        this.inc({ kind: 'host_refused' }, src.http.hostRefused);
        this.inc({ kind: 'unsupported_media' }, src.http.unsupportedMedia);
      },
    });
  }

  /** Subscribe to the running components (after they started). */
  attach(): void {
    this.src.supervisor.on('overrun', this.onOverrun);
    this.src.supervisor.on('verdict-latency', this.onVerdictLatency);
    this.src.supervisor.on('inference', this.onInference);
    this.service = this.src.alerts.service;
    this.service?.on('event', this.onSmsEvent);
    this.sampler = setInterval(() => this.sampleLag(), 1000);
    this.sampler.unref();
  }

  /** One SMSC response time (seconds), from the SMS side. */
  observeSmppResponse(seconds: number): void {
    this.smppResponse.observe(seconds);
  }

  /** Observe every active call's lag once (the sampler's job; public for tests). */
  sampleLag(): void {
    // Every second: lags only, not a CallInfo snapshot of every call.
    for (const lag of this.src.supervisor.lagsAndLegs().lags) this.lag.observe(lag);
  }

  detach(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = null;
    this.src.supervisor.off('overrun', this.onOverrun);
    this.src.supervisor.off('verdict-latency', this.onVerdictLatency);
    this.src.supervisor.off('inference', this.onInference);
    this.service?.off('event', this.onSmsEvent);
    this.service = null;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
