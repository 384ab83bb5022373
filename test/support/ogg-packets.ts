/** The packets of an Ogg stream (RFC 3533), in order: enough to take Opus packets out of what ffmpeg writes. */
export function oggPackets(ogg: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let partial: number[] = [];
  for (let p = 0; p + 27 <= ogg.length;) {
    if (ogg[p] !== 0x4f || ogg[p + 1] !== 0x67 || ogg[p + 2] !== 0x67 || ogg[p + 3] !== 0x53)
      throw new Error(`no OggS at ${p}`);
    const segments = ogg[p + 26];
    let body = p + 27 + segments;
    for (let s = 0; s < segments; s++) {
      const len = ogg[p + 27 + s];
      for (let i = 0; i < len; i++) partial.push(ogg[body + i]);
      body += len;
      if (len < 255) {
        packets.push(Uint8Array.from(partial));
        partial = [];
      }
    }
    p = body;
  }
  return packets;
}

/** ffmpeg output options for Opus as a VoLTE/WebRTC SBC sends it (48 kHz, voip, 24 kbit/s, 20 ms frames), in Ogg. */
export const OPUS_OGG_ARGS = [
  '-ar',
  '48000',
  '-c:a',
  'libopus',
  '-application',
  'voip',
  '-b:a',
  '24k',
  '-frame_duration',
  '20',
  '-f',
  'ogg',
  '-',
];
