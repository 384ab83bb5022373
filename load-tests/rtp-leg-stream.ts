import type dgram from 'node:dgram';
import type { Clip } from './emodb-clips.js';

/**
 * One RTP leg as an SBC forks it: a connected UDP socket (its port is the one the SDP offer names), a fixed SSRC, a
 * random initial sequence number and timestamp (RFC 3550 5.1), 20 ms packets of 160 G.711 bytes, marker on the first.
 * The packet buffer is written in place for every packet: only sequence, timestamp, marker and payload change.
 */

export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = 160;
const HEADER = 12;

/** Packets in a leg of this many seconds (the one rounding every part of the harness uses). */
export function packetsFor(durationSeconds: number): number {
  return Math.round((durationSeconds * 1000) / PACKET_MS);
}

export class RtpLegStream {
  /** Packets this leg sends in total (the call length in 20 ms packets). */
  readonly totalPackets: number;
  packetsSent = 0;
  /** Sends that found the socket's queue busy and went out from a copy (the reused buffer was still in flight). */
  copiedSends = 0;
  sendErrors = 0;
  /** performance.now() of packet 0's due time; set when the pacer admits the leg. */
  startAt = 0;
  private readonly packet = Buffer.alloc(HEADER + SAMPLES_PER_PACKET);
  private seq: number;
  private ts: number;
  private clip = 0;
  private pos = 0;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly clips: readonly Clip[],
    payloadType: number,
    readonly ssrc: number,
    durationSeconds: number,
    random: () => number,
  ) {
    this.totalPackets = packetsFor(durationSeconds);
    this.seq = Math.floor(random() * 65536);
    this.ts = Math.floor(random() * 0x1_0000_0000) >>> 0;
    this.packet[0] = 0x80; // V=2, no padding, no extension, no CSRC
    this.packet[1] = payloadType & 0x7f;
    this.packet.writeUInt32BE(ssrc >>> 0, 8);
    socket.on('error', () => void this.sendErrors++);
  }

  get done(): boolean {
    return this.packetsSent >= this.totalPackets;
  }

  /** Builds and sends the next packet. */
  sendNext(): void {
    // A send libuv could not complete synchronously still points at its buffer: while anything is queued on this
    // socket, build the packet in a copy so it cannot overwrite the one in flight.
    let p = this.packet;
    if (this.socket.getSendQueueCount() > 0) {
      this.copiedSends++;
      p = Buffer.from(p);
    }
    p[1] = (p[1] & 0x7f) | (this.packetsSent === 0 ? 0x80 : 0);
    p.writeUInt16BE(this.seq, 2);
    p.writeUInt32BE(this.ts, 4);
    this.fillPayload(p, HEADER);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + SAMPLES_PER_PACKET) >>> 0;
    this.packetsSent++;
    // No callback: with one, Node schedules a nextTick per packet; errors arrive as the socket's 'error' event.
    try {
      this.socket.send(p);
    } catch {
      this.sendErrors++;
    }
  }

  private fillPayload(dst: Buffer, offset: number): void {
    let need = SAMPLES_PER_PACKET;
    let o = offset;
    while (need > 0) {
      const bytes = this.clips[this.clip].bytes;
      const n = Math.min(need, bytes.length - this.pos);
      bytes.copy(dst, o, this.pos, this.pos + n);
      o += n;
      need -= n;
      this.pos += n;
      if (this.pos >= bytes.length) {
        this.pos = 0;
        this.clip = (this.clip + 1) % this.clips.length;
      }
    }
  }
}
