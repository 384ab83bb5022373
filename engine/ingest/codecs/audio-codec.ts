/**
 * The audio codecs ingest decodes, and what each means on the wire: its SDP encoding name, RTP clock rate and the rate
 * of the PCM it is decoded to. Narrowband codecs give 8 kHz legs, wideband ones 16 kHz (Opus is decoded at 16 kHz:
 * the model and speech recognition use nothing above 8 kHz of bandwidth).
 */
export type AudioCodec = 'PCMU' | 'PCMA' | 'G722' | 'OPUS' | 'AMR-WB' | 'AMR';

export interface CodecInfo {
  /** Name in an a=rtpmap line (our answer's spelling; offers are matched case-insensitively). */
  readonly rtpmapName: string;
  /** RTP timestamp rate (a=rtpmap clock: 8000 for G.722 by RFC 3551's historical error, 48000 for Opus). */
  readonly clockRate: number;
  /** Channels in the answer's rtpmap (Opus is always signalled as 2, RFC 7587 7). */
  readonly rtpmapChannels: number;
  /** Sample rate of the decoded PCM. */
  readonly sampleRate: 8000 | 16000;
  readonly wideband: boolean;
  /** Static payload type, if the codec has one. */
  readonly staticPayloadType: number | null;
}

export const CODECS: Readonly<Record<AudioCodec, CodecInfo>> = {
  PCMU: {
    rtpmapName: 'PCMU',
    clockRate: 8000,
    rtpmapChannels: 1,
    sampleRate: 8000,
    wideband: false,
    staticPayloadType: 0,
  },
  PCMA: {
    rtpmapName: 'PCMA',
    clockRate: 8000,
    rtpmapChannels: 1,
    sampleRate: 8000,
    wideband: false,
    staticPayloadType: 8,
  },
  G722: {
    rtpmapName: 'G722',
    clockRate: 8000,
    rtpmapChannels: 1,
    sampleRate: 16000,
    wideband: true,
    staticPayloadType: 9,
  },
  OPUS: {
    rtpmapName: 'opus',
    clockRate: 48000,
    rtpmapChannels: 2,
    sampleRate: 16000,
    wideband: true,
    staticPayloadType: null,
  },
  'AMR-WB': {
    rtpmapName: 'AMR-WB',
    clockRate: 16000,
    rtpmapChannels: 1,
    sampleRate: 16000,
    wideband: true,
    staticPayloadType: null,
  },
  AMR: {
    rtpmapName: 'AMR',
    clockRate: 8000,
    rtpmapChannels: 1,
    sampleRate: 8000,
    wideband: false,
    staticPayloadType: null,
  },
};

/** RFC 4867 options a leg's AMR or AMR-WB payload was negotiated with. */
export interface AmrOptions {
  /** octet-align=1; otherwise bandwidth-efficient. */
  readonly octetAligned: boolean;
  /** mode-set from the offer (frame types the sender may use), null: any. */
  readonly modeSet: readonly number[] | null;
}

/** A leg's negotiated codec with its parameters. */
export interface CodecParams {
  readonly codec: AudioCodec;
  /** Only for AMR and AMR-WB. */
  readonly amr?: AmrOptions;
}
