import dgram from 'node:dgram';
import { isIP } from 'node:net';

/**
 * RTP port allocation from a configured range. Hands out even ports (RTP convention; the odd neighbour is RTCP's)
 * round-robin, so a just-released port is not reused at once and stray packets of the previous call land nowhere.
 * Ports another process holds are skipped. Each leg gets its own UDP socket: the kernel demultiplexes by port and
 * a leg's socket buffer (SO_RCVBUF, `recvBufferSize`) absorbs event-loop pauses independently.
 */
export type PortBindResult =
  | { ok: true; socket: dgram.Socket; port: number }
  | { ok: false; code: 'PORTS_EXHAUSTED' | 'PORT_BIND_FAILED'; detail: string };

export class PortPool {
  private readonly inUse = new Set<number>();
  private cursor: number;
  private readonly first: number;
  private readonly count: number;

  constructor(
    min: number,
    max: number,
    private readonly recvBufferSize?: number,
  ) {
    this.first = min % 2 === 0 ? min : min + 1;
    this.count = max >= this.first ? Math.floor((max - this.first) / 2) + 1 : 0;
    this.cursor = 0;
  }

  /** Number of ports the range can hand out. */
  get capacity(): number {
    return this.count;
  }

  get used(): number {
    return this.inUse.size;
  }

  /** Binds a UDP socket on the next free even port of the range. */
  async bind(host: string): Promise<PortBindResult> {
    const type = isIP(host) === 6 ? 'udp6' : 'udp4';
    let socket: dgram.Socket | null = null;
    const r = await this.allocate(async (port) => {
      try {
        socket = await bindOne(type, host, port, this.recvBufferSize);
        return null;
      } catch (err) {
        return String((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    });
    return r.ok ? { ok: true, socket: socket!, port: r.port } : r;
  }

  /**
   * Takes the next free even port and lets `bindPort` bind it (here or on another thread), which answers null or the
   * bind's error code: a port refused with EADDRINUSE or EACCES is skipped, any other error ends the search.
   */
  async allocate(
    bindPort: (port: number) => Promise<string | null>,
  ): Promise<{ ok: true; port: number } | { ok: false; code: 'PORTS_EXHAUSTED' | 'PORT_BIND_FAILED'; detail: string }> {
    for (let tries = 0; tries < this.count; tries++) {
      const port = this.first + 2 * this.cursor;
      this.cursor = (this.cursor + 1) % this.count;
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      const code = await bindPort(port);
      if (code === null) return { ok: true, port };
      this.inUse.delete(port);
      if (code === 'EADDRINUSE' || code === 'EACCES') continue;
      return { ok: false, code: 'PORT_BIND_FAILED', detail: code };
    }
    return { ok: false, code: 'PORTS_EXHAUSTED', detail: `no free port in range (${this.count} ports)` };
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}

/** Binds one UDP socket (SO_RCVBUF `recvBufferSize` when given). */
export function bindOne(
  type: 'udp4' | 'udp6',
  host: string,
  port: number,
  recvBufferSize?: number,
): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(recvBufferSize ? { type, recvBufferSize } : { type });
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
