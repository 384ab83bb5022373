import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { SipStreamFramer } from './sip-stream-framer.js';
import type { IngestCounters } from './ingest-counters.js';

/**
 * SIP transports: one UDP socket and one TCP listener on the same host:port (TLS optional on its own port). Knows
 * bytes and peers only; parsing and policy live above it. Stream connections from addresses outside the allow-list
 * are refused at accept, so an unknown peer cannot even hold a socket open.
 */
export type SipTransportName = 'udp' | 'tcp' | 'tls';

export interface SipPeer {
  readonly transport: SipTransportName;
  readonly address: string;
  readonly port: number;
}

/** Where a message came from and how to answer on the same path. */
export interface SipFlow {
  readonly peer: SipPeer;
  /** Sends on this flow: over the same connection for streams, to `dest` (default: the peer) for UDP. */
  send(data: Buffer, dest?: { address: string; port: number }): void;
  /** True while the flow can still carry data (UDP always; a stream until it closes). */
  isOpen(): boolean;
}

export interface SipTransportOptions {
  host: string;
  port: number;
  udp: boolean;
  tcp: boolean;
  tls?: { port: number; key: string | Buffer; cert: string | Buffer } | undefined;
  maxMessageBytes: number;
  tcpIdleTimeoutMs: number;
  /** A message begun on a stream must be complete within this, or the connection is closed (sip.slowMessage). */
  tcpMessageTimeoutMs?: number;
  /** Stream connections at once, and per source address; more are closed at accept (sip.connectionLimit). */
  maxConnections?: number;
  maxConnectionsPerSource?: number;
  log?: { warn(obj: object, msg: string): void } | undefined;
  isAllowed(address: string): boolean;
  onMessage(data: Buffer, flow: SipFlow): void;
  counters: IngestCounters;
}

/** The soft limit on open files of this process (Linux /proc/self/limits); Infinity when unknown or unlimited. */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line ? Number(line.split(/\s{2,}/)[1]) : NaN;
    return Number.isFinite(soft) && soft > 0 ? soft : Infinity;
  } catch {
    return Infinity;
  }
}

/**
 * Stream connections may take at most a quarter of the process's file descriptors, whatever is configured: the
 * rest stay for calls (two RTP sockets each), SMPP, HTTP, lmdb and the workers. A full table would otherwise make
 * libuv accept and close new connections silently (its EMFILE fallback), and new calls fail to bind their ports.
 */
export function effectiveMaxConnections(configured: number, fileLimit = openFileLimit()): number {
  return Math.min(configured, Math.max(16, Math.floor(fileLimit / 4)));
}

export class SipTransport {
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private tlsServer: tls.Server | null = null;
  private readonly connections = new Set<net.Socket>();
  private readonly perSource = new Map<string, number>();
  private lastAcceptErrorLog = 0;
  private lastLimitLog = 0;
  private boundPort = 0;
  /** maxConnections as applied (bounded by the descriptor limit). */
  readonly maxConnections: number;

  constructor(private readonly opts: SipTransportOptions) {
    const configured = opts.maxConnections ?? 512;
    const fileLimit = openFileLimit();
    this.maxConnections = effectiveMaxConnections(configured, fileLimit);
    if (this.maxConnections < configured) {
      opts.log?.warn(
        { configured, applied: this.maxConnections, openFileLimit: fileLimit },
        'sip.maxConnections lowered to a quarter of the open-file limit (raise LimitNOFILE, docs/DEPLOYMENT.md)',
      );
    }
  }

  /** Binds the sockets. With port 0 the UDP socket picks a port and TCP binds the same number (retried if taken). */
  async start(): Promise<void> {
    const family = isIP(this.opts.host) === 6 ? 'udp6' : 'udp4';
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        let port = this.opts.port;
        if (this.opts.udp) port = await this.bindUdp(family, port);
        if (this.opts.tcp) port = await this.listenStream((this.tcp = net.createServer()), port);
        this.boundPort = port;
        break;
      } catch (err) {
        await this.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (this.opts.port !== 0 || code !== 'EADDRINUSE' || attempt === 7) throw err;
      }
    }
    if (this.tcp) {
      this.tcp.on('connection', (s) => this.onConnection(s, 'tcp'));
      this.tcp.on('error', (err) => this.onAcceptError(err));
    }
    if (this.opts.tls) {
      this.tlsServer = tls.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert });
      // Admission (allow-list, caps) on the raw socket, before the handshake: a peer must not hold descriptors for
      // the handshake timeout without being counted. The TLS socket then inherits the raw one's admission.
      this.tlsServer.on('connection', (raw: net.Socket) => void this.admit(raw));
      this.tlsServer.on('secureConnection', (s) => this.onConnection(s, 'tls', true));
      this.tlsServer.on('tlsClientError', () => this.opts.counters['sip.malformed']++);
      await this.listenStream(this.tlsServer, this.opts.tls.port);
      this.tlsServer.on('error', (err) => this.onAcceptError(err));
    }
  }

  /** The port SIP listens on (UDP and TCP share it). */
  get port(): number {
    return this.boundPort;
  }

  sendUdp(data: Buffer, address: string, port: number): void {
    const sock = this.udp;
    if (!sock) return;
    sock.send(data, port, address, (err) => {
      if (err) this.opts.counters['sip.sendError']++;
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    for (const srv of [this.tcp, this.tlsServer]) {
      if (srv && srv.listening) await new Promise<void>((r) => srv.close(() => r()));
    }
    this.tcp = null;
    this.tlsServer = null;
  }

  private bindUdp(type: 'udp4' | 'udp6', port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type, reuseAddr: false });
      sock.once('error', reject);
      sock.bind(port, this.opts.host, () => {
        sock.off('error', reject);
        sock.on('error', () => this.opts.counters['sip.sendError']++);
        sock.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
        this.udp = sock;
        resolve(sock.address().port);
      });
    });
  }

  private listenStream(server: net.Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.opts.host, exclusive: true }, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const peer: SipPeer = { transport: 'udp', address: rinfo.address, port: rinfo.port };
    const flow: SipFlow = {
      peer,
      send: (data, dest) => this.sendUdp(data, dest?.address ?? peer.address, dest?.port ?? peer.port),
      isOpen: () => this.udp !== null,
    };
    this.opts.onMessage(msg, flow);
  }

  /**
   * A listener's accept failed: out of file descriptors (EMFILE/ENFILE) or memory. Node reports it as an 'error' on
   * the server, which without this listener would throw and end the process. The listener keeps listening; calls and
   * RTP on sockets already open go on; accepting resumes as descriptors are freed. Logged at most every 10 s.
   */
  private onAcceptError(err: Error): void {
    this.opts.counters['sip.acceptError']++;
    const now = Date.now();
    if (now - this.lastAcceptErrorLog >= 10_000) {
      this.lastAcceptErrorLog = now;
      this.opts.log?.warn(
        { err: String(err), code: (err as NodeJS.ErrnoException).code, connections: this.connections.size },
        'SIP stream accept failed (file descriptors exhausted?); existing calls continue',
      );
    }
  }

  /**
   * Whether a new stream connection may stay: allowed source, under the caps. Counts it in, and out again when the
   * socket closes. Destroys and counts what is refused.
   */
  private admit(socket: net.Socket): boolean {
    const address = socket.remoteAddress ?? '';
    if (!this.opts.isAllowed(address)) {
      this.opts.counters['sip.forbidden']++;
      socket.destroy();
      return false;
    }
    const fromSource = this.perSource.get(address) ?? 0;
    if (this.connections.size >= this.maxConnections || fromSource >= (this.opts.maxConnectionsPerSource ?? Infinity)) {
      this.opts.counters['sip.connectionLimit']++;
      socket.destroy();
      const now = Date.now();
      if (now - this.lastLimitLog >= 10_000) {
        this.lastLimitLog = now;
        this.opts.log?.warn(
          {
            address,
            fromSource,
            connections: this.connections.size,
            maxConnections: this.maxConnections,
            maxPerSource: this.opts.maxConnectionsPerSource,
          },
          'SIP stream connection refused: connection limit',
        );
      }
      return false;
    }
    this.perSource.set(address, fromSource + 1);
    this.connections.add(socket);
    socket.on('close', () => {
      this.connections.delete(socket);
      const n = (this.perSource.get(address) ?? 1) - 1;
      if (n > 0) this.perSource.set(address, n);
      else this.perSource.delete(address);
    });
    return true;
  }

  private onConnection(socket: net.Socket, transport: 'tcp' | 'tls', admitted = false): void {
    if (!admitted && !this.admit(socket)) return;
    const address = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.tcpIdleTimeoutMs, () => socket.destroy());
    let messageTimer: NodeJS.Timeout | null = null;
    socket.on('close', () => {
      if (messageTimer) clearTimeout(messageTimer);
    });
    socket.on('error', () => socket.destroy());
    const peer: SipPeer = { transport, address, port: socket.remotePort ?? 0 };
    const flow: SipFlow = {
      peer,
      send: (data) => {
        if (!socket.destroyed && socket.writable) socket.write(data);
        else this.opts.counters['sip.sendError']++;
      },
      isOpen: () => !socket.destroyed && socket.writable,
    };
    const framer = new SipStreamFramer(this.opts.maxMessageBytes);
    const messageTimeoutMs = this.opts.tcpMessageTimeoutMs ?? 10_000;
    socket.on('data', (chunk: Buffer) => {
      const events = framer.push(chunk);
      // A message in progress must finish in time: the timer runs from its first byte, not from the last segment, so
      // a peer trickling a byte now and then cannot hold the connection and its buffer open.
      if (messageTimer && (framer.pendingBytes === 0 || events.some((e) => e.type === 'message'))) {
        clearTimeout(messageTimer);
        messageTimer = null;
      }
      if (framer.pendingBytes > 0 && !messageTimer) {
        messageTimer = setTimeout(() => {
          this.opts.counters['sip.slowMessage']++;
          socket.destroy();
        }, messageTimeoutMs);
        messageTimer.unref();
      }
      for (const ev of events) {
        if (ev.type === 'message') this.opts.onMessage(ev.data, flow);
        else if (ev.type === 'keepalive') {
          this.opts.counters['sip.keepalive']++;
          socket.write('\r\n'); // RFC 5626 pong
        } else {
          // A stream cannot be resynchronised after a framing error: count it and drop the connection.
          this.opts.counters[ev.code === 'SIP_OVERSIZE' ? 'sip.oversize' : 'sip.malformed']++;
          socket.destroy();
          return;
        }
      }
    });
  }
}
