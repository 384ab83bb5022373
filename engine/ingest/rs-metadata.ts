import { childrenNamed, findDescendant, parseXml, type XmlElement } from './xml-tree.js';
import { numberFromUri } from './e164.js';

/**
 * SIPREC recording metadata (`application/rs-metadata+xml`). Accepts the RFC 7865 schema
 * (urn:ietf:params:xml:ns:recording:1: participant_id / stream_id / participantstreamassoc) and the pre-RFC draft
 * schema several SBCs still emit (urn:ietf:params:xml:ns:recording: id= / session= attributes, <send>/<recv> inside
 * <participant>). Elements are matched by local name so vendor prefixes do not matter. Vendor extension data is
 * scanned for caller/callee and call-direction hints. Never throws.
 */
export type Role = 'caller' | 'callee';
export type Direction = 'incoming' | 'outgoing';

export interface RsParticipant {
  readonly id: string;
  readonly aor: string | null;
  readonly displayName: string | null;
  /** E.164 of the AOR, when it carries a number. */
  readonly e164: string | null;
  /** Stream ids this participant sends (their voice). */
  readonly sends: readonly string[];
  readonly receives: readonly string[];
  /** Role stated by vendor extension data, if any. */
  readonly roleHint: Role | null;
}

export interface RsStream {
  readonly id: string;
  /** Matches the SDP a=label of the m-line carrying it. */
  readonly label: string | null;
}

export interface RsMetadata {
  readonly sessionId: string | null;
  readonly participants: readonly RsParticipant[];
  readonly streams: readonly RsStream[];
  readonly directionHint: Direction | null;
  readonly schema: 'rfc7865' | 'draft';
}

export type RsMetadataResult =
  { ok: true; metadata: RsMetadata } | { ok: false; code: 'METADATA_MALFORMED' | 'METADATA_INVALID'; detail: string };

const MAX_PARTICIPANTS = 16;
const CALLER_FLAGS = new Set(['callingparty', 'callerorig', 'iscaller', 'originator', 'isoriginator']);
const CALLEE_FLAGS = new Set(['calledparty', 'iscallee', 'terminator', 'isterminator']);
const ROLE_ELEMENTS = new Set(['role', 'participantrole', 'participanttype', 'partyrole']);
const CALLER_WORDS = new Set(['caller', 'calling', 'originating', 'originator', 'orig', 'from', 'a-party']);
const CALLEE_WORDS = new Set(['callee', 'called', 'terminating', 'terminator', 'term', 'to', 'b-party']);
const INCOMING_WORDS = new Set(['incoming', 'inbound', 'in', 'terminating', 'mt']);
const OUTGOING_WORDS = new Set(['outgoing', 'outbound', 'out', 'originating', 'mo']);
const TRUE_WORDS = new Set(['true', '1', 'yes']);

export function parseRsMetadata(xml: string, countryCode?: string): RsMetadataResult {
  const parsed = parseXml(xml);
  if (!parsed.ok) return { ok: false, code: 'METADATA_MALFORMED', detail: `${parsed.code}: ${parsed.detail}` };
  const root = parsed.root;
  if (root.local !== 'recording')
    return { ok: false, code: 'METADATA_INVALID', detail: `root element is <${root.name}>, not <recording>` };
  const ns = root.attrs['xmlns'] ?? Object.entries(root.attrs).find(([k]) => k.startsWith('xmlns:'))?.[1] ?? '';
  const schema: RsMetadata['schema'] = ns.endsWith(':recording:1') ? 'rfc7865' : 'draft';

  const session = childrenNamed(root, 'session')[0];
  const sessionId = session ? (session.attrs['session_id'] ?? session.attrs['id'] ?? null) : null;

  // RFC 7865 keeps send/recv in <participantstreamassoc>; the draft schema nests them in <participant>.
  const assocSend = new Map<string, string[]>();
  const assocRecv = new Map<string, string[]>();
  for (const a of childrenNamed(root, 'participantstreamassoc')) {
    const pid = a.attrs['participant_id'] ?? a.attrs['id'];
    if (!pid) continue;
    assocSend.set(pid, [
      ...(assocSend.get(pid) ?? []),
      ...childrenNamed(a, 'send')
        .map((e) => e.text)
        .filter(Boolean),
    ]);
    assocRecv.set(pid, [
      ...(assocRecv.get(pid) ?? []),
      ...childrenNamed(a, 'recv')
        .map((e) => e.text)
        .filter(Boolean),
    ]);
  }

  const participants: RsParticipant[] = [];
  for (const p of childrenNamed(root, 'participant')) {
    const id = p.attrs['participant_id'] ?? p.attrs['id'];
    if (!id) return { ok: false, code: 'METADATA_INVALID', detail: 'participant without an id' };
    const nameId = childrenNamed(p, 'nameID')[0] ?? childrenNamed(p, 'nameId')[0] ?? null;
    const aorEl = childrenNamed(p, 'aor')[0] ?? (nameId ? childrenNamed(nameId, 'aor')[0] : undefined);
    const aor = nameId?.attrs['aor'] ?? aorEl?.text ?? (nameId?.text || null);
    const nameEl = nameId ? childrenNamed(nameId, 'name')[0] : childrenNamed(p, 'name')[0];
    const sends = [...childrenNamed(p, 'send').map((e) => e.text), ...(assocSend.get(id) ?? [])].filter(Boolean);
    const receives = [...childrenNamed(p, 'recv').map((e) => e.text), ...(assocRecv.get(id) ?? [])].filter(Boolean);
    participants.push({
      id,
      aor,
      displayName: nameEl?.text || null,
      e164: aor ? numberFromUri(aor, countryCode).e164 : null,
      sends,
      receives,
      roleHint: roleHintOf(p),
    });
    if (participants.length > MAX_PARTICIPANTS)
      return { ok: false, code: 'METADATA_INVALID', detail: 'too many participants' };
  }
  if (participants.length === 0) return { ok: false, code: 'METADATA_INVALID', detail: 'no participants' };

  const streams: RsStream[] = [];
  for (const s of childrenNamed(root, 'stream')) {
    const id = s.attrs['stream_id'] ?? s.attrs['id'];
    if (!id) continue;
    streams.push({ id, label: childrenNamed(s, 'label')[0]?.text ?? null });
  }
  return { ok: true, metadata: { sessionId, participants, streams, directionHint: directionHintOf(root), schema } };
}

function roleHintOf(p: XmlElement): Role | null {
  let hint: Role | null = null;
  visit(p, (el) => {
    if (hint) return;
    const local = el.local.toLowerCase();
    const text = el.text.toLowerCase();
    if (CALLER_FLAGS.has(local) && TRUE_WORDS.has(text)) hint = 'caller';
    else if (CALLEE_FLAGS.has(local) && TRUE_WORDS.has(text)) hint = 'callee';
    else if (ROLE_ELEMENTS.has(local))
      hint = CALLER_WORDS.has(text) ? 'caller' : CALLEE_WORDS.has(text) ? 'callee' : null;
  });
  return hint;
}

function directionHintOf(root: XmlElement): Direction | null {
  const el =
    findDescendant(root, 'direction') ?? findDescendant(root, 'callDirection') ?? findDescendant(root, 'calldirection');
  const text = el?.text.toLowerCase() ?? '';
  return INCOMING_WORDS.has(text) ? 'incoming' : OUTGOING_WORDS.has(text) ? 'outgoing' : null;
}

function visit(el: XmlElement, fn: (el: XmlElement) => void): void {
  for (const c of el.children) {
    fn(c);
    visit(c, fn);
  }
}
