import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';

/** A route handler: returns the JSON body (status 200) or throws HttpError. */
export type Route = (req: IncomingMessage, url: URL) => unknown | Promise<unknown>;

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const MAX_URL = 2048;

/**
 * The engine's small HTTP API (JSON). Routes are registered by the components that own the data; unknown paths get
 * 404, other methods 405, and a handler that throws gets a JSON error with a code — never a stack trace.
 */
export class HttpApi {
  private readonly routes = new Map<string, Route>();
  private server: Server | null = null;
  requests = 0;
  errors = 0;

  constructor(private readonly host: string, private readonly port: number, private readonly log: Logger) {}

  get(path: string, route: Route): void {
    this.routes.set(`GET ${path}`, route);
  }

  async start(): Promise<void> {
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

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    try {
      if ((req.url ?? '').length > MAX_URL) throw new HttpError(414, 'URI_TOO_LONG', 'request URL too long');
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = this.routes.get(`${req.method} ${url.pathname}`);
      if (!route) {
        const known = [...this.routes.keys()].some((k) => k.endsWith(` ${url.pathname}`));
        throw known ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} not allowed on ${url.pathname}`) : new HttpError(404, 'NOT_FOUND', `no such resource ${url.pathname}`);
      }
      send(res, 200, await route(req, url));
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'INTERNAL', 'internal error');
      if (!(err instanceof HttpError)) {
        this.errors++;
        this.log.error({ err: String((err as Error)?.stack ?? err) }, 'HTTP handler failed');
      }
      send(res, e.status, { error: { code: e.code, message: e.message } });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
