import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEFAULT_FRONT_END, LIVE_WINDOW_HOP_SECONDS } from '../../actors/features/front-end-config.js';
import { POLICY_CONFIG_KEYS } from '../../actors/policy/risk-policy.js';

/** MFCC the live engine computes per frame (features.mfccCount): 0, their DCT and history space are saved. */
const LIVE_MFCC_COUNT = 0;

/** The policy section is generated from the policy's own key list, so names, bounds and defaults stay in one place. */
const policySection = z
  .object(
    Object.fromEntries(
      POLICY_CONFIG_KEYS.map((k) => {
        if (k.type === 'boolean') return [k.key, z.boolean().default(k.default as boolean)];
        let n = z.number();
        if (k.min !== undefined) n = n.min(k.min);
        if (k.max !== undefined) n = n.max(k.max);
        return [k.key, n.default(k.default as number)];
      }),
    ) as Record<string, z.ZodDefault<z.ZodNumber> | z.ZodDefault<z.ZodBoolean>>,
  )
  .strict()
  .prefault({});

/**
 * Every setting of the engine with its default. Each key can be set in the config file (`--config FILE`, YAML or
 * JSON) and overridden by the environment variable CALLGUARD_<SECTION>_<KEY> (camelCase key in UPPER_SNAKE), e.g.
 * pool.threads → CALLGUARD_POOL_THREADS, rtp.portMin → CALLGUARD_RTP_PORT_MIN. Names are stable once documented.
 */
export const configSchema = z
  .object({
    pool: z
      .object({
        /** Worker threads running actor steps; default: the machine's cores. */
        threads: z.number().int().min(1).max(256).default(Math.max(1, availableParallelism())),
        /**
         * Each worker's V8 young generation, MB (piscina resourceLimits.maxYoungGenerationSizeMb; V8 gives a third to
         * each semi-space). Left to V8, a worker's young generation doubled from 16 to 32 MB after 45 minutes of an
         * hour's soak at 150 calls, a late step in RSS; 24 holds it at the 16 MB it kept for the first 45 minutes.
         */
        youngGenerationMb: z.number().int().min(3).max(1024).default(24),
      })
      .strict()
      .prefault({}),
    engine: z
      .object({
        /**
         * Supervisor scheduling period: how often calls with new audio are handed to the pool. Shorter than
         * minChunkSeconds on purpose: each tick takes only the calls whose chunk just filled, so tasks are small and
         * a window waits less for its turn (measured: verdict p99 at 250 calls 696/322 ms at 100 ms, 140 ms at 25 ms).
         */
        tickMs: z.number().int().min(1).max(1000).default(25),
        /** Audio ring per leg, in seconds at the leg's rate: the backlog a call can build before overruns. */
        ringSeconds: z.number().min(2).max(60).default(4),
        /** Largest chunk of one leg a step pops at once (seconds). */
        maxChunkSeconds: z.number().min(0.02).max(5).default(0.5),
        /** Least new audio of a leg worth a step (seconds): a call is handed to the pool once it has this much. */
        minChunkSeconds: z.number().min(0.01).max(5).default(0.1),
        /** Chunks per leg per step, bounding how long one call holds a worker. */
        chunksPerStep: z.number().int().min(1).max(64).default(4),
        /** Concurrent calls accepted; more get SIP 503. */
        maxCalls: z.number().int().min(1).max(100000).default(2000),
        /** Actor restarts (after failed steps) before a call's analysis is abandoned. */
        maxRestarts: z.number().int().min(0).max(100).default(3),
        /** On SIGTERM: refuse new calls, then let running calls finish for at most this long before closing. */
        drainSeconds: z.number().min(0).max(3600).default(30),
        /**
         * Who computes the spectral stage of the front-end (FFT, centroid, flux, log-mel, MFCC): callguard's own, or
         * meyda's (several times slower; for the load test's same-run comparison, not for production).
         */
        spectralStage: z.enum(['callguard', 'meyda']).default('callguard'),
      })
      .strict()
      .prefault({}),
    features: z
      .object({
        /** Front-end sample rate (Hz): legs at other rates are resampled to it. The shipped model expects 8000. */
        sampleRate: z.union([z.literal(8000), z.literal(16000)]).default(DEFAULT_FRONT_END.sampleRate as 8000),
        /** Analysis frame length (ms). */
        frameMs: z.number().min(5).max(100).default(DEFAULT_FRONT_END.frameMs),
        /** Frame hop (ms): one row of features per hop. */
        hopMs: z.number().min(2.5).max(100).default(DEFAULT_FRONT_END.hopMs),
        /** Frame window shape. */
        window: z.enum(['hann', 'hamming', 'povey']).default(DEFAULT_FRONT_END.window),
        /** Pre-emphasis coefficient applied per frame (Kaldi style). */
        preemphasis: z.number().min(0).max(1).default(DEFAULT_FRONT_END.preemphasis),
        /** Mel filterbank bands. */
        melBands: z.number().int().min(8).max(128).default(DEFAULT_FRONT_END.melBands),
        /** Lowest frequency of the mel filterbank (Hz). */
        fminHz: z.number().min(0).default(DEFAULT_FRONT_END.fminHz),
        /** Highest frequency of the mel filterbank (Hz). */
        fmaxHz: z.number().min(0).default(DEFAULT_FRONT_END.fmaxHz),
        /** Mel scale formula. */
        melScale: z.enum(['htk', 'slaney']).default(DEFAULT_FRONT_END.melScale),
        /** Filterbank normalisation: Slaney area normalisation, or none. */
        melNorm: z.enum(['slaney', 'none']).default(DEFAULT_FRONT_END.melNorm),
        /**
         * MFCC per frame; the live default is none: neither the model nor the policy reads them (`analyze` and tests
         * may).
         */
        mfccCount: z.number().int().min(0).max(64).default(LIVE_MFCC_COUNT),
        /** Lowest pitch the YIN tracker looks for (Hz). */
        pitchFminHz: z.number().min(40).max(1000).default(DEFAULT_FRONT_END.pitchFminHz),
        /** Highest pitch the YIN tracker looks for (Hz). */
        pitchFmaxHz: z.number().min(80).max(1000).default(DEFAULT_FRONT_END.pitchFmaxHz),
        /** YIN's aperiodicity threshold: lower is stricter about calling a frame voiced. */
        pitchThreshold: z.number().min(0.01).max(1).default(DEFAULT_FRONT_END.pitchThreshold),
        /** Frames quieter than this (dBFS) are not searched for pitch. */
        voicingDbfs: z.number().min(-120).max(0).default(DEFAULT_FRONT_END.voicingDbfs),
        /** Analysis window (s): what the model and the policy score at once. */
        windowSeconds: z.number().min(0.2).max(30).default(DEFAULT_FRONT_END.windowSeconds),
        /**
         * The live engine scores each leg's 2 s window once a second (every sample still in two windows): half the
         * model work of the front-end's 0.5 s default, which offline analysis and training keep. The policy integrates
         * in seconds.
         */
        windowHopSeconds: z.number().min(0.05).max(30).default(LIVE_WINDOW_HOP_SECONDS),
        /** The shortest partial window scored at a call's end (s). */
        minFinalSeconds: z.number().min(0.05).max(30).default(DEFAULT_FRONT_END.minFinalSeconds),
      })
      .strict()
      .prefault({}),
    sip: z
      .object({
        /** Address the SIPREC server listens on (0.0.0.0 or :: for all). */
        host: z.string().min(1).default('127.0.0.1'),
        /** SIP port (UDP and TCP); 0: any free port. */
        port: z.number().int().min(0).max(65535).default(5060),
        /** SIP transports to listen on. */
        transports: z
          .array(z.enum(['udp', 'tcp']))
          .min(1)
          .default(['udp', 'tcp']),
        /** SBC source addresses or CIDRs allowed to send SIP; anything else gets 403. */
        allow: z.array(z.string().min(1)).default(['127.0.0.1/8', '::1']),
        /** Address put in Contact/Via/SDP when `host` is a wildcard or behind NAT; empty: `host`. */
        advertisedAddress: z.string().default(''),
        /** Which participant is the protected subscriber: callee on incoming calls ('auto'), or always one side. */
        protectedLeg: z.enum(['auto', 'callee', 'caller']).default('auto'),
        /** Digits of the country code used to turn national numbers (0…) into E.164; empty: leave them. */
        countryCode: z
          .string()
          .regex(/^\+?\d{0,3}$/)
          .default(''),
        /** Numbers (E.164 prefixes) of this operator's subscribers, to tell incoming from outgoing calls. */
        subscriberPrefixes: z.array(z.string()).default([]),
        /**
         * TCP connections held at once (never more than a quarter of the open-file limit); more are closed at accept
         * and counted.
         */
        maxConnections: z.number().int().min(1).max(100_000).default(512),
        /**
         * TCP connections held at once from one source address; more are closed at accept and counted
         * (docs/SECURITY.md).
         */
        maxConnectionsPerSource: z.number().int().min(1).max(100_000).default(64),
      })
      .strict()
      .prefault({}),
    rtp: z
      .object({
        /** Lowest RTP port answered in SDP (two per call, even ports). */
        portMin: z.number().int().min(1024).max(65535).default(20000),
        /** Highest RTP port answered in SDP. */
        portMax: z.number().int().min(1024).max(65535).default(29999),
        /** A call with no RTP for this long ends (and gets a BYE), for SBCs whose BYE never arrives. */
        timeoutSeconds: z.number().min(1).max(3600).default(30),
        /** SO_RCVBUF per RTP socket in bytes; 0 keeps the kernel default (net.core.rmem_default). */
        recvBufferBytes: z.number().int().min(0).default(0),
        /**
         * RTP I/O worker threads: they own the media sockets, decode, and write the calls' rings, so the main thread
         * touches no packet. 'auto' is one per 8 cores (1 to 16); 0 receives RTP on the main thread.
         */
        ioThreads: z
          .preprocess(
            // From the environment a count arrives as text.
            (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
            z.union([z.literal('auto'), z.number().int().min(0).max(64)]),
          )
          .default('auto'),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        /** Address of the HTTP API, /metrics and the console. */
        host: z.string().min(1).default('127.0.0.1'),
        /** HTTP port; 0: any free port. */
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * Bearer token for the admin API; empty: generated on first run and kept in <data.dir>/http-token (mode 0600).
         */
        token: z.string().default(''),
        /** Host names the API answers to besides IP addresses and localhost (others get 421: DNS rebinding). */
        allowedHosts: z.array(z.string().min(1).max(253)).max(64).default([]),
        /** Seconds between two samples of the console's engine charts (the last hour: calls, alerts, p99, RTP loss). */
        historySeconds: z.number().min(1).max(600).default(10),
      })
      .strict()
      .prefault({}),
    smpp: z
      .object({
        /**
         * smpp://system_id:password@host:port (ssmpp:// for TLS), comma-separated for fail-over; empty: bundled
         * simulator.
         */
        url: z.string().default(''),
        /** submit_sm outstanding per bind (the SMSC's window). */
        window: z.number().int().min(1).max(1000).default(10),
        /** submit_sm per second per bind (the SMSC's contracted TPS); 0 = unlimited. */
        tps: z.number().min(0).max(100000).default(50),
        /** Source address: digits → international number, else alphanumeric sender id. */
        sender: z.string().min(1).max(20).default('CallGuard'),
        /** system_type sent in the bind, when the SMSC wants one. */
        systemType: z.string().max(12).default(''),
        /** Keep-alive: enquire_link after this long without traffic. */
        enquireLinkSeconds: z.number().min(1).max(3600).default(30),
        /** How long the SMSC may take to answer a request before it is retried. */
        responseTimeoutSeconds: z.number().min(0.5).max(300).default(10),
        /** SMS validity period: the SMSC drops an alert it could not deliver in this time (it is stale by then). */
        validityMinutes: z.number().min(1).max(10080).default(30),
        /** Alerts per subscriber per hour, at most. */
        perHour: z.number().int().min(1).max(1000).default(3),
        /** Operator brand at the start of every alert. */
        brand: z.string().min(1).max(30).default('CallGuard'),
        /** Template language when the subscriber has none. */
        language: z.string().min(2).max(8).default('en'),
        /** Port of the bundled SMSC simulator started when `url` is empty (0: any free port). */
        simulatorPort: z.number().int().min(0).max(65535).default(2775),
      })
      .strict()
      .prefault({}),
    model: z
      .object({
        /** Run the emotion model (false: acoustic cues only). */
        enabled: z.boolean().default(true),
        /** Model directory (model.json, weights, manifest.json); empty: the shipped models/emotion-v1. */
        dir: z.string().default(''),
        /** TF.js backend: auto tries tfjs-node (when installed), then wasm, then cpu. */
        backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
        /**
         * Most windows per predict: a round's ready windows share one predict up to this; 1 = one predict per window.
         */
        maxBatch: z.number().int().min(1).max(64).default(64),
        /**
         * Run the keyword spotter on the same windows (it orders calls for the recognition slots; never alerts alone).
         * Off by default: the shipped spotter, trained on synthetic voices only, flags benign calls on voices it never
         * heard almost as often as scam calls (docs/SPOKEN-CONTENT.md), so it would reorder the slots by noise.
         */
        spotter: z.boolean().default(false),
        /** Keyword spotter directory; empty: the shipped models/spotter-en-v1. */
        spotterDir: z.string().default(''),
      })
      .strict()
      .prefault({}),
    policy: policySection,
    /** Spoken content: PocketSphinx recognition of the other party's leg in a bounded number of slots per box. */
    speech: z
      .object({
        /**
         * Recognise what the other party says (needs Debian's pocketsphinx and pocketsphinx-en-us; off without them,
         * with a warning).
         */
        enabled: z.boolean().default(true),
        /** Recognition threads (each hosts slotsPerThread decoders). */
        threads: z.number().int().min(1).max(64).default(1),
        /**
         * Legs one thread recognises at once; more calls wait for a slot (keyword-flagged first, then highest acoustic
         * risk).
         */
        slotsPerThread: z.number().int().min(1).max(64).default(4),
        /** Which legs get recognised: the other party only (the one who might be a scammer), or both. */
        legs: z.enum(['other', 'both']).default('other'),
        /**
         * Turn length under load: at a slice's end a leg that heard no intent in it gives its slot to a waiting call;
         * one that did keeps it for another slice.
         */
        sliceSeconds: z.number().min(5).max(3600).default(20),
        /**
         * Audio ring per recognised leg (the backlog a slow recogniser may build before audio is dropped and counted).
         */
        ringSeconds: z.number().min(1).max(120).default(8),
        /**
         * An utterance longer than this is decoded by force: bounds the latency of an intent and what a crash loses.
         */
        maxUtteranceSeconds: z.number().min(2).max(60).default(8),
        /** Speech model directory (manifest.json, domain LM and dictionary); empty: the shipped models/speech-en-v1. */
        modelDir: z.string().default(''),
        /** A window whose keyword spotter score (any class) reaches this flags its call for recognition. */
        spotterThreshold: z.number().min(0).max(1).default(0.5),
        /** Time constant (s of call time) over which a call's spotter score decays. */
        spotterMemorySeconds: z.number().min(1).max(3600).default(60),
        /**
         * A flagged call waiting for a slot takes one from an unflagged call that has held it this long without an
         * intent.
         */
        preemptAfterSeconds: z.number().min(1).max(3600).default(10),
      })
      .strict()
      .prefault({}),
    subscribers: z
      .object({
        /**
         * Analyse only enrolled subscribers who have not opted out (consent); others are answered on SIP but not
         * analysed and never alerted. On by default: set false only for trials where every forked call may be analysed.
         */
        enforce: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * Where subscribers, consent (opt-outs), MO feedback, alert records and the per-subscriber alert rate live. Empty
     * url: embedded lmdb under data.dir (one box). A postgres:// URL: PostgreSQL shared by every engine behind the
     * dispatcher (CALLGUARD_STORE_URL); docs/DEPLOYMENT.md, §11.
     */
    store: z
      .object({
        /** postgres://user:password@host:port/database (postgresql:// too; ?sslmode=require for TLS); empty: lmdb. */
        url: z
          .string()
          .default('')
          .refine(
            (u) => u === '' || /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(u),
            'expected postgres://user:password@host:port/database (or empty for the embedded lmdb store)',
          ),
        /** Connections this engine keeps to PostgreSQL (most queries are one round trip per call or alert). */
        poolSize: z.number().int().min(1).max(100).default(8),
        /**
         * Longest a statement may run (PostgreSQL statement_timeout, and the client's own deadline); a slow store
         * counts as down.
         */
        statementTimeoutMs: z.number().int().min(50).max(60_000).default(2_000),
        /** Longest a new connection may take. */
        connectTimeoutMs: z.number().int().min(50).max(60_000).default(3_000),
        /** While the store is down: how often it is probed and the held alert decisions retried. */
        retrySeconds: z.number().min(0.05).max(60).default(1),
        /**
         * A held alert decision is still sent this long after its call ended (after that the warning is stale and
         * dropped).
         */
        holdAfterCallSeconds: z.number().min(0).max(3600).default(120),
      })
      .strict()
      .prefault({}),
    /**
     * Privacy limits: how long what the engine keeps about calls may stay on disk. Enforced at start-up and every
     * sweep.
     */
    retention: z
      .object({
        /** Days an alert record (number, time, score, explanation, delivery state) and its SMS are kept. */
        alertDays: z.number().min(0.001).max(3650).default(30),
        /** Hours a debug audio capture is kept. */
        captureHours: z.number().min(0.001).max(8760).default(24),
        /** Total bytes of debug captures on disk; the oldest go first beyond it, and a running capture stops at it. */
        captureMaxBytes: z.number().int().min(1_000_000).default(1_073_741_824),
        /** Minutes between sweeps. */
        sweepMinutes: z.number().min(0.01).max(1440).default(10),
      })
      .strict()
      .prefault({}),
    capture: z
      .object({
        /**
         * Numbers (E.164) whose calls are captured to WAV for debugging from the start; the admin API switches others
         * on.
         */
        numbers: z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected E.164 numbers like +33612345678')).default([]),
      })
      .strict()
      .prefault({}),
    data: z
      .object({
        /** Where the outbox, subscribers, alert records, captures and the generated admin token live (lmdb). */
        dir: z.string().min(1).default('./data'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        /** pino level; logs are JSON lines on stdout. */
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Mask phone numbers in logs (+33612****78). */
        maskNumbers: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.rtp.portMin > c.rtp.portMax)
      ctx.addIssue({ code: 'custom', path: ['rtp', 'portMin'], message: 'must not exceed rtp.portMax' });
    if (c.features.windowHopSeconds > c.features.windowSeconds)
      ctx.addIssue({
        code: 'custom',
        path: ['features', 'windowHopSeconds'],
        message:
          `must not exceed features.windowSeconds (${c.features.windowSeconds}): audio between windows would never ` +
          `be analysed`,
      });
    if (c.engine.minChunkSeconds > c.engine.maxChunkSeconds)
      ctx.addIssue({
        code: 'custom',
        path: ['engine', 'minChunkSeconds'],
        message: 'must not exceed engine.maxChunkSeconds',
      });
    // A ring must hold the lockstep slack (1 s) plus a chunk, or a call with one silent leg could never advance.
    if (c.engine.maxChunkSeconds + 1 > c.engine.ringSeconds)
      ctx.addIssue({
        code: 'custom',
        path: ['engine', 'ringSeconds'],
        message: 'must be at least engine.maxChunkSeconds + 1',
      });
  });

/** The validated, complete configuration. */
export type CallguardConfig = z.infer<typeof configSchema>;
