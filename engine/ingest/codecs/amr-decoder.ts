import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IngestCounters } from '../ingest-counters.js';
import type { AmrOptions } from './audio-codec.js';
import { AMR_OK, AMR_STORAGE_SLOT, AmrPayloadReader } from './amr-payload.js';
import type { LegDecoder } from './leg-decoder.js';

/**
 * AMR-NB and AMR-WB decoding with opencore-amr compiled to wasm (@audio/decode-amr, Apache-2.0). That package's own
 * API parses whole .amr files and allocates per call, so its wasm module is driven directly: one decoder state per
 * leg, one storage-format frame in, 160 or 320 float samples out (opencore's int16 output / 32768, so the conversion
 * back is exact). The module is shared by every leg of the process; each decoder owns a state handle and a frame
 * buffer in its heap, released by free().
 */
interface AmrWasm {
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _amr_nb_create(): number;
  _amr_nb_decode(h: number, p: number, n: number): number;
  _amr_nb_output(): number;
  _amr_nb_close(h: number): void;
  _amr_wb_create(): number;
  _amr_wb_decode(h: number, p: number, n: number): number;
  _amr_wb_output(): number;
  _amr_wb_close(h: number): void;
}

let modulePromise: Promise<AmrWasm> | null = null;
let wasm: AmrWasm | null = null;

/** Loads (once) the opencore-amr wasm module. Its file is not in the package's exports map, hence the file URL. */
export function loadAmrModule(): Promise<AmrWasm> {
  modulePromise ??= (async () => {
    const dir = dirname(createRequire(import.meta.url).resolve('@audio/decode-amr/package.json'));
    const mod = (await import(pathToFileURL(join(dir, 'src', 'amr.wasm.js')).href)) as {
      default: () => Promise<AmrWasm>;
    };
    wasm = await mod.default();
    return wasm;
  })();
  return modulePromise;
}

/** NO_DATA in storage format: what the decoder is fed for a lost frame (it conceals, then fades to comfort noise). */
const NO_DATA = (15 << 3) | 4;

export class AmrDecoder implements LegDecoder {
  readonly codec: 'AMR' | 'AMR-WB';
  readonly sampleRate: number;
  readonly clockRate: number;
  readonly maxPayload = 1024;
  private readonly m: AmrWasm;
  private readonly reader: AmrPayloadReader;
  private readonly frameSamples: number;
  /** Bit i set: frame type i is in the negotiated mode-set (speech types only; SID and NO_DATA always pass). */
  private readonly allowedModes: number;
  private handle: number;
  private frame: number;
  /** Last AMR-NB sample written (see run()). */
  private last = 0;

  constructor(
    wideband: boolean,
    opts: AmrOptions,
    private readonly counters: IngestCounters,
  ) {
    if (!wasm) throw new Error('AMR module not loaded: await loadAmrModule() first');
    this.m = wasm;
    this.codec = wideband ? 'AMR-WB' : 'AMR';
    this.sampleRate = wideband ? 16000 : 8000;
    this.clockRate = this.sampleRate;
    this.frameSamples = wideband ? 320 : 160;
    this.reader = new AmrPayloadReader(wideband, opts.octetAligned);
    let allowed = 0xffff;
    if (opts.modeSet) {
      allowed = wideband ? 0xfe00 : 0xff00; // SID, reserved (rejected earlier), lost and NO_DATA types
      for (const m of opts.modeSet) allowed |= 1 << m;
    }
    this.allowedModes = allowed;
    this.handle = wideband ? this.m._amr_wb_create() : this.m._amr_nb_create();
    this.frame = this.m._malloc(AMR_STORAGE_SLOT);
  }

  decode(buf: Uint8Array, offset: number, length: number, out: Int16Array): number {
    if (this.handle === 0) return -1;
    const r = this.reader;
    if (r.unpack(buf, offset, length) !== AMR_OK) return -1;
    let o = 0;
    for (let i = 0; i < r.count; i++) {
      if (((this.allowedModes >> r.frameTypes[i]) & 1) === 0) this.counters['codec.modeOutsideSet']++;
      o += this.decodeFrame(r.storage, i * AMR_STORAGE_SLOT, r.sizes[i], out, o);
    }
    return o;
  }

  conceal(out: Int16Array, samples: number): number {
    if (this.handle === 0) return 0;
    let o = 0;
    while (o + this.frameSamples <= samples && o + this.frameSamples <= out.length) {
      this.m.HEAPU8[this.frame] = NO_DATA;
      const n = this.run(1, out, o);
      if (n === 0) break;
      o += n;
    }
    return o;
  }

  private decodeFrame(src: Uint8Array, at: number, size: number, out: Int16Array, o: number): number {
    const heap = this.m.HEAPU8; // re-read per frame: the view is replaced if the wasm memory grows
    const f = this.frame;
    for (let k = 0; k < size; k++) heap[f + k] = src[at + k];
    return this.run(size, out, o);
  }

  private run(size: number, out: Int16Array, o: number): number {
    const m = this.m;
    const n =
      this.codec === 'AMR-WB'
        ? m._amr_wb_decode(this.handle, this.frame, size)
        : m._amr_nb_decode(this.handle, this.frame, size);
    if (n !== this.frameSamples) return 0;
    const at = (this.codec === 'AMR-WB' ? m._amr_wb_output() : m._amr_nb_output()) >> 2;
    const f32 = m.HEAPF32;
    if (this.codec === 'AMR-WB') {
      for (let i = 0; i < n; i++) {
        const v = Math.round(f32[at + i] * 32768);
        out[o + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      return n;
    }
    // The AMR-NB wasm build wraps where native opencore saturates: a positive peak (32760, the 13-bit maximum)
    // comes out as -32768, a full-scale click. A jump from a positive sample to -32768 in 125 us is no speech
    // waveform, so it is put back. (Its internals also overflow now and then on full-scale input and drift from
    // native opencore for a while: measured in amr-decoder.test.ts.)
    let last = this.last;
    for (let i = 0; i < n; i++) {
      let v = Math.round(f32[at + i] * 32768);
      if (v === -32768 && last > 0) v = 32760;
      out[o + i] = last = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.last = last;
    return n;
  }

  free(): void {
    if (this.handle === 0) return;
    if (this.codec === 'AMR-WB') this.m._amr_wb_close(this.handle);
    else this.m._amr_nb_close(this.handle);
    this.m._free(this.frame);
    this.handle = 0;
    this.frame = 0;
  }
}
