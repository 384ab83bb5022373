import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { Lifecycle, type LifecycleState } from '../../common/lifecycle.js';
import type { Logger } from '../logger.js';

/** What a route sees: the request, its URL, path parameters (`:name` segments) and the body when it has one. */
export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  /** The request body as text (POST/PUT/DELETE), bounded by `maxBodyBytes`; '' when there is none. */
  body: string;
}

/** A route handler: returns the JSON body (status 200), a RawResponse, or throws HttpError. */
export type Route = (req: IncomingMessage, url: URL, ctx: RouteContext) => unknown | Promise<unknown>;

/** A non-JSON or non-200 answer (metrics text, the console page, 201/503 JSON). */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly body: string | object,
    readonly contentType = 'application/json; charset=utf-8',
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * An HTTP API answer other than 200: its status and the API's own code (NOT_FOUND, BAD_REQUEST …, docs/HTTP-API.md),
 * or a catalogue code (CG_*) when a component's error is passed through.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Decides whether a request may reach a protected route; throws HttpError(401) otherwise. */
export type Authorizer = (req: IncomingMessage) => void;

export interface RouteOptions {
  /** The route changes state or reveals subscriber numbers: it needs the bearer token. */
  auth?: boolean;
  /** Largest accepted body (bytes); default 64 KiB. */
  maxBodyBytes?: number;
  /** Media types a request body may have (a body of another or no Content-Type gets 415); default JSON only. */
  accepts?: readonly string[];
}

/** Which names a request's Host header may carry (DNS rebinding: a browser sent to us under a hostile name). */
export interface HostPolicy {
  /** Host names allowed besides IP literals and localhost (e.g. the name operators use for this box). */
  allowedHosts?: readonly string[];
}

interface Entry {
  method: string;
  segments: string[];
  route: Route;
  opts: RouteOptions;
}

const MAX_URL = 2048;
const JSON_ONLY: readonly string[] = ['application/json'];
const DEFAULT_MAX_BODY = 64 * 1024;

/**
 * The engine's small HTTP API (JSON). Routes are registered by the components that own the data; unknown paths get
 * 404, other methods 405, and a handler that throws gets a JSON error with a code — never a stack trace. Routes
 * registered with `{ auth: true }` pass through the authorizer first (bearer token, 401 with a JSON error).
 * Lifecycle (common/lifecycle.ts): routes are registered, then start() listens and close() stops.
 */
export class HttpApi {
  private readonly routes: Entry[] = [];
  private server: Server | null = null;
  private readonly life = new Lifecycle();
  private started: Promise<void> | null = null;
  private authorizer: Authorizer | null = null;
  requests = 0;
  errors = 0;
  unauthorized = 0;
  /** Requests refused for their Host header (421) or their body's media type (415). */
  hostRefused = 0;
  unsupportedMedia = 0;
  private readonly allowedHosts: ReadonlySet<string>;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
    hosts: HostPolicy = {},
  ) {
    this.allowedHosts = new Set((hosts.allowedHosts ?? []).map((h) => h.toLowerCase()));
  }

  get(path: string, route: Route, opts: RouteOptions = {}): void {
    this.add('GET', path, route, opts);
  }

  post(path: string, route: Route, opts: RouteOptions = {}): void {
    this.add('POST', path, route, opts);
  }

  delete(path: string, route: Route, opts: RouteOptions = {}): void {
    this.add('DELETE', path, route, opts);
  }

  /**
   * Install the check run before every `{ auth: true }` route. Without one, protected routes are refused (fail closed).
   */
  setAuthorizer(a: Authorizer): void {
    this.authorizer = a;
  }

  private add(method: string, path: string, route: Route, opts: RouteOptions): void {
    this.routes.push({ method, segments: path.split('/').slice(1), route, opts });
  }

  /** Where the API is in its lifecycle: it listens from 'running' until 'closing'. */
  get state(): LifecycleState {
    return this.life.state;
  }

  /**
   * Idempotent: listens once (a second call shares the first's outcome). A failed listen (the port taken) leaves
   * the API 'idle', so it may be started again; a closed API stays closed.
   */
  start(): Promise<void> {
    if (this.life.state !== 'idle') return this.started ?? Promise.resolve();
    this.life.state = 'starting';
    this.started = this.listen().then(
      () => {
        if (this.life.state === 'starting') this.life.state = 'running';
      },
      (err: unknown) => {
        if (this.life.state === 'starting') {
          this.life.state = 'idle';
          this.started = null;
        }
        throw err;
      },
    );
    return this.started;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.headersTimeout = 10000;
    server.requestTimeout = 15000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.log.info({ address: this.address() }, 'HTTP API listening');
  }

  address(): { host: string; port: number } {
    const a = this.server?.address() as AddressInfo | null;
    return { host: this.host, port: a?.port ?? this.port };
  }

  /** Idempotent: drops open connections and stops listening (after a start still under way); every call waits. */
  close(): Promise<void> {
    return this.life.close(() => this.shutdown());
  }

  private async shutdown(): Promise<void> {
    await this.started?.catch(() => undefined);
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  /**
   * A Host header naming an IP address (v4 or [v6]), localhost, or a configured name. Names resolved by someone
   * else's DNS are refused: a page on a hostile site whose name was rebound to this box's address must not read
   * /metrics, /readyz or the console through the operator's browser. No Host (HTTP/1.0) has no name to abuse.
   */
  private hostAllowed(header: string | undefined): boolean {
    if (header === undefined) return true;
    const h = header.trim().toLowerCase();
    const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '');
    if (name === 'localhost' || this.allowedHosts.has(name)) return true;
    if (name.startsWith('[') && name.endsWith(']')) return isIP(name.slice(1, -1)) === 6;
    return isIP(name) === 4;
  }

  private match(pathname: string): Array<{ e: Entry; params: Record<string, string> }> {
    const segs = pathname.split('/').slice(1);
    const out: Array<{ e: Entry; params: Record<string, string> }> = [];
    for (const e of this.routes) {
      if (e.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const want = e.segments[i];
        if (want.startsWith(':')) {
          let v: string;
          try {
            v = decodeURIComponent(segs[i]);
          } catch {
            ok = false;
            break;
          }
          if (!v) ok = false;
          params[want.slice(1)] = v;
        } else if (want !== segs[i]) ok = false;
      }
      if (ok) out.push({ e, params });
    }
    return out;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    try {
      if ((req.url ?? '').length > MAX_URL) throw new HttpError(414, 'URI_TOO_LONG', 'request URL too long');
      if (!this.hostAllowed(req.headers.host)) {
        this.hostRefused++;
        throw new HttpError(
          421,
          'HOST_NOT_ALLOWED',
          'this Host is not served here (an IP address, localhost or a name in http.allowedHosts)',
        );
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const matches = this.match(url.pathname);
      const hit =
        matches.find((m) => m.e.method === req.method) ??
        (req.method === 'HEAD' ? matches.find((m) => m.e.method === 'GET') : undefined);
      if (!hit) {
        throw matches.length
          ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} not allowed on ${url.pathname}`)
          : new HttpError(404, 'NOT_FOUND', `no such resource ${url.pathname}`);
      }
      if (hit.e.opts.auth) {
        if (!this.authorizer) throw new HttpError(401, 'UNAUTHORIZED', 'authentication is not configured');
        try {
          this.authorizer(req);
        } catch (err) {
          this.unauthorized++;
          throw err;
        }
      }
      const hasBody =
        req.method !== 'GET' &&
        req.method !== 'HEAD' &&
        (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined);
      if (hasBody) {
        const accepts = hit.e.opts.accepts ?? JSON_ONLY;
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (!accepts.includes(type)) {
          this.unsupportedMedia++;
          req.resume();
          throw new HttpError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `body must be ${accepts.join(' or ')}${type ? `, not ${type}` : ' (no Content-Type given)'}`,
          );
        }
      }
      const body = hasBody ? await readBody(req, hit.e.opts.maxBodyBytes ?? DEFAULT_MAX_BODY) : '';
      const out = await hit.e.route(req, url, { req, url, params: hit.params, body });
      if (out instanceof RawResponse) send(res, out.status, out.body, out.contentType, out.headers);
      else send(res, 200, out);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'INTERNAL', 'internal error');
      if (!(err instanceof HttpError)) {
        this.errors++;
        this.log.error({ err: String((err as Error)?.stack ?? err) }, 'HTTP handler failed');
      }
      const headers: Record<string, string> =
        e.status === 401 ? { 'www-authenticate': 'Bearer realm="callguard"' } : {};
      send(res, e.status, { error: { code: e.code, message: e.message } }, undefined, headers);
    }
  }
}

/** Read a request body as UTF-8, refusing more than `max` bytes with 413. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `request body larger than ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new HttpError(413, 'BODY_TOO_LARGE', `request body larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) reject(new HttpError(400, 'BAD_BODY', err.message));
    });
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
  extra: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // nosniff: a browser must take a JSON error (which may echo request text) for JSON, never for a page or a script.
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}
