/**
 * The PDU codec: the `smpp` package's encoder/decoder, made safe for hostile input and typed.
 *
 * What we change in the package, and why (read node_modules/smpp/lib before trusting it):
 * - short_message / message_payload and the time fields are passed through as raw bytes both ways: the package guesses
 *   data_coding from the text and picks IA5 (0x01) for GSM text (#181). We always encode ourselves
 *   (gsm7.ts, message-parts.ts) and set data_coding explicitly.
 * - TLV values are read within their declared length: the package's C-string reader walks past the TLV
 *   into the next one, and fixed-size readers ignore the length.
 * - decodePdu never throws: a malformed body yields `{ ok: false }` with whatever header could be read.
 * - Framing is ours (PduFramer): the package's stream reader stalls for good after one bad PDU.
 * The patch is applied to the package's shared tables once, at import; this module is its only user.
 */
import { createRequire } from 'node:module';

interface LibType {
  read(buffer: Buffer, offset: number, length?: number): unknown;
  write(value: unknown, buffer: Buffer, offset: number): void;
  size(value: unknown): number;
  default: unknown;
}
interface LibTlv {
  id: number;
  tag: string;
  type: LibType;
  filter?: unknown;
  multiple?: boolean;
}
interface LibPdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  toBuffer(): Buffer;
  [key: string]: unknown;
}
interface SmppLib {
  PDU: { new (command: string | Buffer, options?: Record<string, unknown>): LibPdu; maxLength: number };
  commands: Record<string, { id: number; params?: Record<string, { type: LibType; filter?: unknown }> }>;
  commandsById: Record<number, { command: string }>;
  tlvs: Record<string, LibTlv>;
  errors: Record<string, number>;
  createServer(options: Record<string, unknown>, listener?: (session: unknown) => void): import('node:net').Server;
}

const require = createRequire(import.meta.url);
/** The raw `smpp` package (CJS), for the simulator's server mode. */
export const smppLib = require('smpp') as SmppLib;

/** Largest PDU we accept from a peer; bigger means a broken or hostile peer. */
export const MAX_PDU_LENGTH = 65536;

const rawFilter = { encode: (v: unknown) => v, decode: (v: unknown) => v };
let patched = false;
function patchLibrary(): void {
  if (patched) return;
  patched = true;
  smppLib.PDU.maxLength = MAX_PDU_LENGTH;
  for (const cmd of Object.values(smppLib.commands)) {
    for (const [name, p] of Object.entries(cmd.params ?? {})) {
      // Times stay as the SMPP strings we send and receive: the package turns relative times into Dates
      // measured from "now" (lossy) and throws on a malformed one.
      if (name === 'short_message' || name.endsWith('_time') || name === 'validity_period') p.filter = rawFilter;
    }
  }
  const seen = new Set<LibTlv>();
  for (const tlv of Object.values(smppLib.tlvs)) {
    if (seen.has(tlv)) continue;
    seen.add(tlv);
    if (tlv.tag === 'message_payload') tlv.filter = rawFilter;
    const inner = tlv.type;
    // Read inside a copy bounded by the TLV length: a C-string stops at the end, short ints read as undefined.
    tlv.type = {
      default: inner.default,
      size: (v) => inner.size(v),
      write: (v, b, o) => inner.write(v, b, o),
      read: (buffer, offset, length = 0) => {
        const slice = buffer.subarray(offset, offset + length);
        try {
          return inner.read(Buffer.from(slice), 0, slice.length);
        } catch {
          return undefined;
        }
      },
    };
  }
}
patchLibrary();

/** SMPP command_status values we act on (SMPP 3.4 §5.1.3). */
export const Status = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RSUBMITFAIL: 0x45,
  RTHROTTLED: 0x58,
  RX_T_APPN: 0x64,
  RX_P_APPN: 0x65,
  RDELIVERYFAILURE: 0xfe,
  RUNKNOWNERR: 0xff,
} as const;

/** The name of a command_status, e.g. 0x58 -> "ESME_RTHROTTLED", for logs and dead-letter reasons. */
export function statusName(status: number): string {
  for (const [name, value] of Object.entries(smppLib.errors)) if (value === status) return name;
  return `0x${status.toString(16).padStart(8, '0')}`;
}

/** A decoded PDU: header fields plus the command's mandatory parameters and known TLVs by name. */
export interface Pdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  [field: string]: unknown;
}

export type DecodeResult = { ok: true; pdu: Pdu } | { ok: false; error: string; commandId?: number; sequence?: number };

/** Encodes one PDU. Pass short_message/message_payload as Buffers and data_coding explicitly. */
export function encodePdu(command: string, fields: Record<string, unknown> = {}): Buffer {
  const pdu = new smppLib.PDU(command, fields);
  return pdu.toBuffer();
}

/** Decodes one complete PDU (as cut by PduFramer). Never throws. */
export function decodePdu(buf: Buffer): DecodeResult {
  if (buf.length < 16) return { ok: false, error: 'short header' };
  const commandId = buf.readUInt32BE(4);
  const sequence = buf.readUInt32BE(12);
  if (buf.readUInt32BE(0) !== buf.length) return { ok: false, error: 'length mismatch', commandId, sequence };
  try {
    const pdu = new smppLib.PDU(buf) as unknown as Pdu;
    if (pdu.command === 'unknown') return { ok: false, error: 'unknown command_id', commandId, sequence };
    // The package stops reading silently when the body runs out: a request missing mandatory parameters
    // is truncated, not valid. (Responses may legitimately have no body when command_status != 0.)
    if (!isResponse(commandId)) {
      for (const name of Object.keys(smppLib.commands[pdu.command]?.params ?? {})) {
        if (pdu[name] === undefined) return { ok: false, error: `truncated body (no ${name})`, commandId, sequence };
      }
    }
    return { ok: true, pdu };
  } catch (err) {
    return { ok: false, error: `malformed body: ${(err as Error).message}`, commandId, sequence };
  }
}

/** True when command_id has the response bit. */
export function isResponse(commandId: number): boolean {
  return (commandId & 0x80000000) !== 0;
}

/**
 * Cuts a TCP byte stream into PDUs. `push` bytes in, then call `next()` until it returns null.
 * A length outside [16, MAX_PDU_LENGTH] is unrecoverable framing loss: `next()` returns an Error and
 * the owner must drop the connection (there is no resync point in SMPP).
 */
export class PduFramer {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }
  next(): Buffer | Error | null {
    if (this.buf.length < 4) return null;
    const len = this.buf.readUInt32BE(0);
    if (len < 16 || len > MAX_PDU_LENGTH) return new Error(`invalid command_length ${len}`);
    if (this.buf.length < len) return null;
    const pdu = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    return pdu;
  }
}
