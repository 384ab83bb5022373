/**
 * Delivery receipts (deliver_sm with esm_class message type 0x04 or 0x08... see isReceipt): which message
 * they are about and its final state. TLVs (receipted_message_id, message_state) win over the text
 * `id:... sub:... dlvrd:... submit date:... done date:... stat:... err:...`, which SMSCs format loosely.
 * Never throws.
 */
import type { Pdu } from './codec.js';
import { decodeShortMessage } from './message-parts.js';

export type ReceiptState =
  'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD' | 'ENROUTE';

export interface Receipt {
  messageId: string;
  state: ReceiptState;
  /** `err:` from the text or network_error_code, when present. */
  error?: string;
}

/** message_state TLV values (SMPP 3.4 §5.2.28). */
const STATE_BY_TLV: Record<number, ReceiptState> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};
const STATES = new Set<string>(Object.values(STATE_BY_TLV));

/** True for deliver_sm that carry a receipt (esm_class message type: SMSC delivery receipt or intermediate). */
export function isReceipt(pdu: Pdu): boolean {
  const esm = typeof pdu.esm_class === 'number' ? pdu.esm_class : 0;
  const type = esm & 0x3c;
  return type === 0x04 || type === 0x20;
}

/** Parses a receipt, or returns null when no message id can be found. */
export function parseReceipt(pdu: Pdu): Receipt | null {
  const esm = typeof pdu.esm_class === 'number' ? pdu.esm_class : 0;
  const dc = typeof pdu.data_coding === 'number' ? pdu.data_coding : 0;
  const raw =
    Buffer.isBuffer(pdu.short_message) && pdu.short_message.length > 0
      ? pdu.short_message
      : Buffer.isBuffer(pdu.message_payload)
        ? pdu.message_payload
        : Buffer.alloc(0);
  const text = decodeShortMessage(raw, dc, esm & ~0x40);
  const fromText = parseReceiptText(text);
  const tlvId = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id.trim() : '';
  const tlvState = typeof pdu.message_state === 'number' ? STATE_BY_TLV[pdu.message_state] : undefined;
  const messageId = tlvId || fromText?.messageId;
  if (!messageId) return null;
  const state = tlvState ?? fromText?.state ?? 'UNKNOWN';
  const r: Receipt = { messageId, state };
  if (fromText?.error) r.error = fromText.error;
  return r;
}

/** Parses the informal receipt text (SMPP 3.4 Appendix B). */
export function parseReceiptText(text: string): Receipt | null {
  const id = /(?:^|\s)id:\s*([^\s]+)/i.exec(text);
  if (!id) return null;
  const stat = /(?:^|\s)stat:\s*([A-Za-z]+)/i.exec(text);
  const err = /(?:^|\s)err:\s*([^\s]+)/i.exec(text);
  const s = stat?.[1]?.toUpperCase().slice(0, 7) ?? 'UNKNOWN';
  const r: Receipt = { messageId: id[1], state: (STATES.has(s) ? s : 'UNKNOWN') as ReceiptState };
  if (err) r.error = err[1];
  return r;
}

/**
 * The keys a message id may be stored under. SMSCs disagree on hex vs decimal between submit_sm_resp and
 * the receipt (Kannel's "msg-id-type"); we index the id as received and look up every plausible form.
 */
export function messageIdCandidates(id: string): string[] {
  const out = new Set<string>([id, id.toLowerCase()]);
  const trimmed = id.replace(/^0+(?=.)/, '');
  out.add(trimmed.toLowerCase());
  if (/^\d{1,20}$/.test(id)) {
    try {
      out.add(BigInt(id).toString(16));
    } catch {
      /* not a number after all */
    }
  }
  if (/^[0-9a-f]{1,16}$/i.test(id)) {
    try {
      out.add(BigInt(`0x${id}`).toString(10));
    } catch {
      /* unreachable: regex-checked */
    }
  }
  return [...out];
}

/** The canonical key a submit_sm_resp message_id is indexed under. */
export function messageIdKey(id: string): string {
  return id.replace(/^0+(?=.)/, '').toLowerCase();
}
