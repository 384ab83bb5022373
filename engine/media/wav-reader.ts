import { ALAW_TO_PCM, ULAW_TO_PCM } from '../../actors/dsp/g711.js';
import { CallguardError } from '../../common/errors.js';

/** A decoded WAV file: one PCM16 array per channel (channel 0 = caller leg, channel 1 = callee leg by convention). */
export interface WavAudio {
  sampleRate: number;
  codec: 'pcm16' | 'ulaw' | 'alaw';
  channels: Int16Array[];
  durationSeconds: number;
}

export type WavErrorCode =
  'CG_WAV_EMPTY' | 'CG_WAV_NOT_WAV' | 'CG_WAV_TRUNCATED' | 'CG_WAV_UNSUPPORTED' | 'CG_WAV_NO_DATA';

/** Why a file cannot be analysed, in one line. */
export class WavError extends CallguardError<WavErrorCode> {
  override name = 'WavError';
}

/** Rates accepted; an arbitrary rate (47,999 Hz) would need an enormous resampling filter. */
export const SAMPLE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];
const FORMAT_PCM = 1;
const FORMAT_ALAW = 6;
const FORMAT_ULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: 'MS ADPCM',
  3: 'IEEE float',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x55: 'MPEG layer 3',
  0x64: 'G.726',
};

/**
 * Parse a RIFF/WAVE file held in memory. Accepts PCM16, G.711 µ-law and A-law (plain or WAVE_FORMAT_EXTENSIBLE), mono
 * or two channels, 4–48 kHz. Walks the chunk list (fmt/fact/LIST/data in any order); never throws anything but
 * WavError.
 */
export function parseWav(buf: Uint8Array): WavAudio {
  if (buf.length === 0) throw new WavError('CG_WAV_EMPTY', 'file is empty');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number) => String.fromCharCode(buf[o], buf[o + 1], buf[o + 2], buf[o + 3]);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    if (buf.length >= 4 && tag(0) === 'RIFF')
      throw new WavError('CG_WAV_TRUNCATED', 'RIFF header is truncated or not WAVE');
    throw new WavError('CG_WAV_NOT_WAV', 'not a WAV file (no RIFF/WAVE header)');
  }
  let fmt: { format: number; channels: number; rate: number; bits: number; blockAlign: number } | null = null;
  let data: { offset: number; length: number } | null = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = tag(off);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError('CG_WAV_TRUNCATED', 'fmt chunk is truncated');
      let format = dv.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 26 > buf.length)
          throw new WavError('CG_WAV_TRUNCATED', 'extensible fmt chunk is truncated');
        format = dv.getUint16(body + 24, true);
      }
      fmt = {
        format,
        channels: dv.getUint16(body + 2, true),
        rate: dv.getUint32(body + 4, true),
        blockAlign: dv.getUint16(body + 12, true),
        bits: dv.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      // Size 0 or 0xFFFFFFFF is what streaming writers leave behind: take the rest of the file.
      const declared = size === 0 || size === 0xffffffff ? buf.length - body : size;
      if (body + declared > buf.length)
        throw new WavError(
          'CG_WAV_TRUNCATED',
          `data chunk declares ${declared} bytes but only ${buf.length - body} are present`,
        );
      data = { offset: body, length: declared };
      break;
    }
    if (body + size > buf.length)
      throw new WavError('CG_WAV_TRUNCATED', `${JSON.stringify(id)} chunk runs past the end of the file`);
    off = body + size + (size & 1);
  }
  if (!fmt)
    throw new WavError(off >= buf.length ? 'CG_WAV_TRUNCATED' : 'CG_WAV_NOT_WAV', 'no fmt chunk before the audio data');
  if (!data) throw new WavError('CG_WAV_NO_DATA', 'no data chunk (file truncated?)');
  const { format, channels, rate, bits } = fmt;
  let codec: WavAudio['codec'];
  if (format === FORMAT_PCM && bits === 16) codec = 'pcm16';
  else if (format === FORMAT_ULAW && bits === 8) codec = 'ulaw';
  else if (format === FORMAT_ALAW && bits === 8) codec = 'alaw';
  else {
    const name = FORMAT_NAMES[format] ?? (format === FORMAT_PCM ? `PCM ${bits}-bit` : `format tag ${format}`);
    throw new WavError(
      'CG_WAV_UNSUPPORTED',
      `unsupported codec ${name} (supported: PCM 16-bit, G.711 µ-law, G.711 A-law)`,
    );
  }
  if (channels < 1 || channels > 2)
    throw new WavError('CG_WAV_UNSUPPORTED', `unsupported channel count ${channels} (1 = one leg, 2 = caller/callee)`);
  if (!SAMPLE_RATES.includes(rate))
    throw new WavError(
      'CG_WAV_UNSUPPORTED',
      `unsupported sample rate ${rate} Hz (supported: ${SAMPLE_RATES.join(', ')})`,
    );
  const bytesPerSample = codec === 'pcm16' ? 2 : 1;
  const frames = Math.floor(data.length / (bytesPerSample * channels));
  if (frames === 0) throw new WavError('CG_WAV_NO_DATA', 'the data chunk holds no audio');
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  const table = codec === 'ulaw' ? ULAW_TO_PCM : ALAW_TO_PCM;
  for (let i = 0; i < frames; i++) {
    for (let ch = 0; ch < channels; ch++) {
      const p = data.offset + (i * channels + ch) * bytesPerSample;
      out[ch][i] = codec === 'pcm16' ? dv.getInt16(p, true) : table[buf[p]];
    }
  }
  return { sampleRate: rate, codec, channels: out, durationSeconds: frames / rate };
}

/** Write a WAV file image (PCM16 or G.711), for fixtures, tests and the load generator. */
export function encodeWav(
  channels: Int16Array[] | Uint8Array[],
  sampleRate: number,
  codec: WavAudio['codec'],
): Uint8Array {
  const n = channels[0].length;
  const ch = channels.length;
  const bps = codec === 'pcm16' ? 2 : 1;
  const dataLen = n * ch * bps;
  const out = new Uint8Array(44 + dataLen);
  const dv = new DataView(out.buffer);
  const put = (o: number, s: string) => [...s].forEach((c, i) => (out[o + i] = c.charCodeAt(0)));
  put(0, 'RIFF');
  dv.setUint32(4, 36 + dataLen, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, codec === 'pcm16' ? FORMAT_PCM : codec === 'ulaw' ? FORMAT_ULAW : FORMAT_ALAW, true);
  dv.setUint16(22, ch, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * ch * bps, true);
  dv.setUint16(32, ch * bps, true);
  dv.setUint16(34, bps * 8, true);
  put(36, 'data');
  dv.setUint32(40, dataLen, true);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < ch; c++) {
      const p = 44 + (i * ch + c) * bps;
      if (codec === 'pcm16') dv.setInt16(p, (channels[c] as Int16Array)[i], true);
      else out[p] = (channels[c] as Uint8Array)[i];
    }
  return out;
}
