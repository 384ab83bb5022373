import { z } from 'zod';
import { CallguardError } from '../../common/errors.js';

/**
 * Options of the SIPREC server, validated with defaults. The lead maps CALLGUARD_SIP_HOST/PORT,
 * CALLGUARD_RTP_PORT_MIN/MAX and CALLGUARD_SIP_ALLOW (comma-separated) onto host/port, rtpPortMin/Max and allow.
 */
export const SiprecOptionsSchema = z
  .object({
    /** SIP bind address. 0.0.0.0/:: needs `advertisedAddress`. */
    host: z.string().default('127.0.0.1'),
    /** SIP port for UDP and TCP; 0 picks an ephemeral port (tests). */
    port: z.number().int().min(0).max(65535).default(5060),
    transports: z
      .array(z.enum(['udp', 'tcp']))
      .min(1)
      .default(['udp', 'tcp']),
    /** Optional SIP over TLS listener (RFC 3261 sips is not required by SIPREC; this is transport security only). */
    tls: z.object({ port: z.number().int().min(0).max(65535), key: z.any(), cert: z.any() }).optional(),
    /** Address put in Contact/Via/SDP when `host` is a wildcard or behind NAT. */
    advertisedAddress: z.string().optional(),
    /** Address RTP sockets bind to and the SDP answer advertises; defaults to `advertisedAddress` then `host`. */
    mediaAddress: z.string().optional(),
    rtpPortMin: z.number().int().min(1024).max(65535).default(20000),
    rtpPortMax: z.number().int().min(1024).max(65535).default(29999),
    /** SBC source addresses and CIDRs (IPv4/IPv6) allowed to send SIP (and RTP from addresses other than the SDP's). */
    allow: z.array(z.string()).default(['127.0.0.1', '::1']),
    /** A call with no RTP on any active leg for this long ends with reason 'rtp-timeout' (and a BYE to the SBC). */
    rtpTimeoutMs: z.number().int().min(100).default(30000),
    protectedLeg: z.enum(['auto', 'callee', 'caller']).default('auto'),
    subscriberPrefixes: z.array(z.string()).default([]),
    defaultDirection: z.enum(['incoming', 'outgoing']).default('incoming'),
    /** Country code (digits) used to turn national numbers (0...) into E.164. */
    countryCode: z
      .string()
      .regex(/^\+?\d{1,3}$/)
      .optional(),
    maxMessageBytes: z.number().int().min(1024).max(65535).default(65535),
    maxHeaders: z.number().int().min(16).max(1000).default(128),
    maxCalls: z.number().int().min(1).default(2000),
    jitterDepth: z.number().int().min(1).max(12).default(3),
    /** RFC 3261 T1 (ms); tests shorten it to exercise ACK timeouts. */
    sipT1Ms: z.number().int().min(10).default(500),
    tcpIdleTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .default(15 * 60 * 1000),
    /**
     * Stream connections held at once, and from one source address: beyond them a new connection is closed at accept.
     */
    maxConnections: z.number().int().min(1).default(512),
    maxConnectionsPerSource: z.number().int().min(1).default(64),
    /**
     * A message begun on a stream must be complete within this (a peer trickling bytes holds a buffer and a socket).
     */
    tcpMessageTimeoutMs: z.number().int().min(100).default(10_000),
    /** SO_RCVBUF per RTP socket; unset keeps the kernel default (net.core.rmem_default). */
    recvBufferSize: z.number().int().min(4096).optional(),
    /** RTP I/O worker threads that own the media sockets; 0 receives RTP on the server's own thread. */
    ioThreads: z.number().int().min(0).max(64).default(0),
  })
  .refine((o) => o.rtpPortMin <= o.rtpPortMax, { message: 'rtpPortMin must be <= rtpPortMax' });

export type SiprecServerOptionsInput = z.input<typeof SiprecOptionsSchema>;
export type SiprecServerOptions = z.output<typeof SiprecOptionsSchema>;

export class IngestConfigError extends CallguardError<'CG_INGEST_OPTIONS' | 'CG_ALLOW_LIST'> {
  override name = 'IngestConfigError';
}

export function resolveOptions(input: SiprecServerOptionsInput): SiprecServerOptions {
  const r = SiprecOptionsSchema.safeParse(input);
  if (!r.success)
    throw new IngestConfigError(
      'CG_INGEST_OPTIONS',
      r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  return r.data;
}
