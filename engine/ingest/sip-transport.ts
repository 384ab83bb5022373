import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { isIP } from 'node:net';
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
  isAllowed(address: string): boolean;
  onMessage(data: Buffer, flow: SipFlow): void;
  counters: IngestCounters;
}

export class SipTransport {
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private tlsServer: tls.Server | null = null;
  private readonly connections = new Set<net.Socket>();
  private boundPort = 0;

  constructor(private readonly opts: SipTransportOptions) {}

  /** Binds the sockets. With port 0 the UDP socket picks a port and TCP binds the same number (retried if taken). */
  async start(): Promise<void> {
    const family = isIP(this.opts.host) === 6 ? 'udp6' : 'udp4';
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        let port = this.opts.port;
        if (this.opts.udp) port = await this.bindUdp(family, port);
        if (this.opts.tcp) port = await this.listenStream(this.tcp = net.createServer(), port);
        this.boundPort = port;
        break;
      } catch (err) {
        await this.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (this.opts.port !== 0 || code !== 'EADDRINUSE' || attempt === 7) throw err;
      }
    }
    if (this.tcp) this.tcp.on('connection', (s) => this.onConnection(s, 'tcp'));
    if (this.opts.tls) {
      this.tlsServer = tls.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert });
      this.tlsServer.on('secureConnection', (s) => this.onConnection(s, 'tls'));
      await this.listenStream(this.tlsServer, this.opts.tls.port);
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

  private onConnection(socket: net.Socket, transport: 'tcp' | 'tls'): void {
    const address = socket.remoteAddress ?? '';
    if (!this.opts.isAllowed(address)) {
      this.opts.counters['sip.forbidden']++;
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.tcpIdleTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
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
    socket.on('data', (chunk: Buffer) => {
      for (const ev of framer.push(chunk)) {
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
