import { startSmscSimulator, type SmscSimulator } from '../smpp/index.js';
import { EngineCallsPoller } from './engine-calls-poller.js';
import { EngineMetricsScraper } from './engine-metrics-scraper.js';
import { freePort, startEngineProcess, type EngineProcess } from './engine-process.js';
import { ProcSampler } from './proc-sampler.js';

/**
 * Everything one measured engine needs for a load run: its own SMSC simulator (so alerts of one engine never mix with
 * another's in a comparison), the engine itself (spawned as our child with extra CALLGUARD_* settings, or an engine
 * already running), and the samplers that watch it: /proc CPU and RSS, GET /calls, and GET /metrics.
 * Lifecycle: openEngineSession() -> use -> close() (stops the samplers, the engine we spawned, the simulator).
 */
export interface EngineSession {
  readonly target: { host: string; port: number };
  readonly httpBase: string | null;
  readonly engine: EngineProcess | null;
  readonly smsc: SmscSimulator;
  readonly smppUrl: string;
  readonly poller: EngineCallsPoller | null;
  readonly sampler: ProcSampler | null;
  readonly scraper: EngineMetricsScraper | null;
  close(): Promise<void>;
}

export interface EngineSessionOptions {
  /** An engine already running (loopback): its SIP address, its HTTP base URL and admin token. Else one is spawned. */
  external?: { target: { host: string; port: number }; httpBase: string | null; token?: string };
  /** Extra environment of the spawned engine (e.g. CALLGUARD_MODEL_MAX_BATCH=1). */
  env?: Record<string, string>;
  /** Extra node flags of the spawned engine (profiling). */
  nodeArgs?: string[];
  /** Another built checkout whose engine is spawned instead of this one's. */
  root?: string;
  smscPort?: number;
}

export async function openEngineSession(o: EngineSessionOptions): Promise<EngineSession> {
  const smsc = await startSmscSimulator({ host: '127.0.0.1', port: o.smscPort ?? 0 });
  const smppUrl = `smpp://callguard:load@127.0.0.1:${smsc.port}`;
  let engine: EngineProcess | null = null;
  try {
    if (!o.external)
      engine = await startEngineProcess({
        sipPort: await freePort('udp'),
        httpPort: await freePort('tcp'),
        rtpPortMin: 20000,
        rtpPortMax: 29999,
        smppUrl,
        env: o.env,
        nodeArgs: o.nodeArgs,
        root: o.root,
      });
  } catch (err) {
    await smsc.close();
    throw err;
  }
  const target = engine ? engine.sip : o.external!.target;
  const httpBase = engine ? engine.httpBase : o.external!.httpBase;
  const token = engine?.token ?? o.external?.token;
  const sampler = engine ? new ProcSampler(engine.pid) : null;
  const poller = httpBase ? new EngineCallsPoller(`${httpBase}/calls`, 1000, token) : null;
  const scraper = httpBase ? new EngineMetricsScraper(`${httpBase}/metrics`, 2000) : null;
  sampler?.start();
  poller?.start();
  scraper?.start();
  return {
    target,
    httpBase,
    engine,
    smsc,
    smppUrl,
    poller,
    sampler,
    scraper,
    async close() {
      await poller?.stop();
      await scraper?.stop();
      sampler?.stop();
      await engine?.close();
      await smsc.close();
    },
  };
}
