/**
 * RFC 3550 RTP fixed header parsing into a caller-owned, reused `RtpHeader` (no allocation per packet). Handles CSRC
 * lists, the header extension and padding; returns a numeric code (0 = ok) instead of throwing.
 */
export const RTP_OK = 0;
export const RTP_TOO_SHORT = 1;
export const RTP_BAD_VERSION = 2;
export const RTP_BAD_CSRC = 3;
export const RTP_BAD_EXTENSION = 4;
export const RTP_BAD_PADDING = 5;
/** An RTCP packet multiplexed on the RTP port (RFC 5761: second byte 200..204 with the marker bit position). */
export const RTP_IS_RTCP = 6;

export type RtpParseCode = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export class RtpHeader {
  marker = false;
  payloadType = 0;
  sequence = 0;
  timestamp = 0;
  ssrc = 0;
  csrcCount = 0;
  hasExtension = false;
  payloadOffset = 0;
  payloadLength = 0;
}

export function parseRtpPacket(buf: Uint8Array, length: number, out: RtpHeader): RtpParseCode {
  if (length < 12) return RTP_TOO_SHORT;
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return RTP_BAD_VERSION;
  const b1 = buf[1];
  const pt = b1 & 0x7f;
  if (pt >= 72 && pt <= 76) return RTP_IS_RTCP;
  const cc = b0 & 0x0f;
  let offset = 12 + cc * 4;
  if (offset > length) return RTP_BAD_CSRC;
  const hasExtension = (b0 & 0x10) !== 0;
  if (hasExtension) {
    if (offset + 4 > length) return RTP_BAD_EXTENSION;
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    offset += 4 + words * 4;
    if (offset > length) return RTP_BAD_EXTENSION;
  }
  let end = length;
  if (b0 & 0x20) {
    const pad = buf[length - 1];
    if (pad === 0 || offset + pad > length) return RTP_BAD_PADDING;
    end -= pad;
  }
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = pt;
  out.sequence = (buf[2] << 8) | buf[3];
  // >>> 0 keeps the 32-bit fields unsigned.
  out.timestamp = ((buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7]) >>> 0;
  out.ssrc = ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0;
  out.csrcCount = cc;
  out.hasExtension = hasExtension;
  out.payloadOffset = offset;
  out.payloadLength = end - offset;
  return RTP_OK;
}

/** Writes an RTP packet (no CSRC/extension) into `buf`; returns its length. For senders in tests and the benchmark. */
export function writeRtpPacket(
  buf: Uint8Array,
  pt: number,
  seq: number,
  ts: number,
  ssrc: number,
  payload: Uint8Array,
  marker = false,
): number {
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | (pt & 0x7f);
  buf[2] = (seq >> 8) & 0xff;
  buf[3] = seq & 0xff;
  buf[4] = (ts >>> 24) & 0xff;
  buf[5] = (ts >>> 16) & 0xff;
  buf[6] = (ts >>> 8) & 0xff;
  buf[7] = ts & 0xff;
  buf[8] = (ssrc >>> 24) & 0xff;
  buf[9] = (ssrc >>> 16) & 0xff;
  buf[10] = (ssrc >>> 8) & 0xff;
  buf[11] = ssrc & 0xff;
  buf.set(payload, 12);
  return 12 + payload.length;
}
