import { CallguardError } from '../../../common/errors.js';
/**
 * PocketSphinx's `sendump` (the en-us model's quantised mixture weights) back to SphinxTrain's `mixture_weights`,
 * which `bw` needs to collect adaptation statistics. Debian's pocketsphinx-en-us ships only the sendump. Format as
 * SphinxTrain's own cmusphinx/sendump.py reads it: a string header, the codeword and senone counts, then per feature
 * stream and codeword one byte per senone holding -log1.0001(weight) >> mixw_shift.
 */

export class SendumpError extends CallguardError<'CG_SENDUMP'> {
  override name = 'SendumpError';
  constructor(message: string) {
    super('CG_SENDUMP', message);
  }
}

export interface MixtureWeights {
  senones: number;
  streams: number;
  codewords: number;
  /** [senone][stream][codeword], row-major. */
  weights: Float32Array;
}

/** Parses a sendump file (either byte order). */
export function readSendump(buf: Uint8Array): MixtureWeights {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let little = true;
  let off = 0;
  const u32 = (): number => {
    if (off + 4 > buf.length) throw new SendumpError('sendump truncated');
    const v = dv.getUint32(off, little);
    off += 4;
    return v;
  };
  const str = (): string | null => {
    let n = u32();
    if (n > 65536 && off === 4) {
      little = false;
      off = 0;
      n = u32();
    }
    if (n === 0) return null;
    if (off + n > buf.length) throw new SendumpError('sendump header truncated');
    const s = Buffer.from(buf.subarray(off, off + n - 1)).toString('latin1');
    off += n;
    return s;
  };
  str(); // title
  const header = new Map<string, number>();
  for (let s = str(); s !== null; s = str()) {
    const [k, v] = s.trim().split(/\s+/);
    if (v !== undefined && /^-?\d+$/.test(v)) header.set(k, Number(v));
  }
  if ((header.get('cluster_count') ?? 0) !== 0) throw new SendumpError('clustered sendump files are not supported');
  const shift = header.get('mixw_shift') ?? 10;
  const streams = header.get('feature_count') ?? 1;
  const codewords = u32();
  const senones = u32();
  if (off + streams * codewords * senones !== buf.length)
    throw new SendumpError(`sendump size does not match ${streams} x ${codewords} x ${senones}`);
  const weights = new Float32Array(senones * streams * codewords);
  const ln = Math.log(1.0001);
  for (let f = 0; f < streams; f++)
    for (let c = 0; c < codewords; c++)
      for (let s = 0; s < senones; s++)
        weights[(s * streams + f) * codewords + c] = Math.exp(-(buf[off++] << shift) * ln);
  return { senones, streams, codewords, weights };
}

/** SphinxTrain's binary 3-d float file ("s3" header, byte-order magic, dimensions, data) holding the weights. */
export function writeMixtureWeights(m: MixtureWeights): Buffer {
  let header = 's3\nversion 1.0\n';
  const lsb = (header.length + 'endhdr\n'.length) & 3;
  header += (lsb ? ' '.repeat(4 - lsb) : '') + 'endhdr\n';
  const head = Buffer.from(header, 'latin1');
  const body = Buffer.alloc(4 + 16 + m.weights.length * 4);
  body.writeInt32LE(0x11223344, 0);
  body.writeUInt32LE(m.senones, 4);
  body.writeUInt32LE(m.streams, 8);
  body.writeUInt32LE(m.codewords, 12);
  body.writeUInt32LE(m.weights.length, 16);
  for (let i = 0; i < m.weights.length; i++) body.writeFloatLE(m.weights[i], 20 + 4 * i);
  return Buffer.concat([head, body]);
}
