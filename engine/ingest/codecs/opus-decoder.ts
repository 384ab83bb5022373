import { OpusDecoder } from 'opus-decoder';
import type { LegDecoder } from './leg-decoder.js';

/**
 * Opus (RFC 7587) decoding with libopus compiled to wasm (opus-decoder, MIT; libopus BSD), at 16 kHz mono whatever
 * the sender's bandwidth or channels (libopus down-mixes and resamples inside the decoder). Its public decodeFrame()
 * allocates the output arrays per call, so the decoder's own wasm function is called on its preallocated input and
 * output buffers (the package version is pinned; `OpusLegDecoder.create` checks those internals are there).
 * Loss: an empty payload asks libopus for concealment (PLC), which continues the last frame's signal and fades out.
 */
interface OpusInternals {
  _common: {
    wasm: { opus_frame_decode_float_deinterleaved(dec: number, input: number, len: number, out: number): number };
  };
  _decoder: number;
  _input: { ptr: number; len: number; buf: Uint8Array };
  _output: { ptr: number; len: number; buf: Float32Array };
}

const RATE = 16000;

export class OpusLegDecoder implements LegDecoder {
  readonly codec = 'OPUS';
  readonly sampleRate = RATE;
  readonly clockRate = 48000;
  /**
   * RFC 6716 3.4 R2: at most 1275 octets per frame, up to 120 ms per packet; 1500 covers any packet a datagram holds.
   */
  readonly maxPayload = 1500;
  private freed = false;

  private constructor(
    private readonly dec: OpusDecoder<16000>,
    private readonly io: OpusInternals,
  ) {}

  /** Compiles the wasm module once (later instances only instantiate it). */
  static async warmUp(): Promise<void> {
    (await OpusLegDecoder.create()).free();
  }

  static async create(): Promise<OpusLegDecoder> {
    const dec = new OpusDecoder({ sampleRate: RATE, channels: 1 });
    await dec.ready;
    const io = dec as unknown as OpusInternals;
    if (
      typeof io._common?.wasm?.opus_frame_decode_float_deinterleaved !== 'function' ||
      !(io._input?.buf instanceof Uint8Array) ||
      !(io._output?.buf instanceof Float32Array)
    ) {
      dec.free();
      throw new Error('opus-decoder internals changed: check the pinned version');
    }
    return new OpusLegDecoder(dec, io);
  }

  decode(buf: Uint8Array, offset: number, length: number, out: Int16Array): number {
    if (this.freed || length === 0 || length > this.io._input.len) return -1;
    const input = this.io._input.buf;
    for (let i = 0; i < length; i++) input[i] = buf[offset + i];
    return this.run(length, out, out.length);
  }

  conceal(out: Int16Array, samples: number): number {
    if (this.freed) return 0;
    // libopus conceals as much as its output buffer takes (120 ms); what is beyond the gap is dropped.
    return Math.max(0, this.run(0, out, samples));
  }

  private run(length: number, out: Int16Array, limit: number): number {
    const io = this.io;
    const n = io._common.wasm.opus_frame_decode_float_deinterleaved(io._decoder, io._input.ptr, length, io._output.ptr);
    if (n < 0) return -1;
    const f32 = io._output.buf;
    const count = Math.min(n, limit, out.length);
    for (let i = 0; i < count; i++) {
      const v = Math.round(f32[i] * 32768);
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return count;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.dec.free();
  }
}
