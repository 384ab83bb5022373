import type { Direction, Role, RsMetadata } from './rs-metadata.js';
import type { MediaDecision } from './sdp.js';

/**
 * Joins the SDP and the rs-metadata into legs: which participant speaks on which m-line, who is caller and callee,
 * the call direction, and which leg is the protected subscriber. Kept apart from parsing because this is policy.
 */
export type ProtectedLegRule = 'auto' | 'callee' | 'caller';

export interface LegRules {
  /** 'auto': callee on incoming calls, caller on outgoing. */
  protectedLeg: ProtectedLegRule;
  /** E.164 prefixes of the operator's own subscribers; a matching participant is the protected one. */
  subscriberPrefixes: readonly string[];
  /** Direction assumed when neither the metadata nor the prefixes tell. */
  defaultDirection: Direction;
}

export interface MappedLeg {
  /** Index of the m-line in the offer. */
  readonly mline: number;
  readonly label: string | null;
  readonly participantId: string | null;
  readonly role: Role | 'unknown';
  readonly aor: string | null;
  readonly e164: string | null;
}

export interface LegMapping {
  readonly legs: MappedLeg[];
  readonly direction: Direction;
  /** Index into `legs` of the protected subscriber's voice, or -1 when it cannot be told. */
  readonly protectedLeg: number;
  /** How streams were tied to participants and how roles were decided, for diagnostics. */
  readonly mappingSource: 'label' | 'order' | 'mixed';
  readonly roleSource: 'metadata' | 'document-order';
}

export function mapLegs(decisions: readonly MediaDecision[], md: RsMetadata, rules: LegRules): LegMapping {
  const accepted = decisions.filter((d) => d.accepted);
  // Roles: explicit vendor hints first; otherwise the first listed participant is the originator (every SRC we know
  // lists the calling party first).
  const roles = new Map<string, Role>();
  let roleSource: LegMapping['roleSource'] = 'document-order';
  const hinted = md.participants.filter((p) => p.roleHint);
  if (hinted.length > 0) {
    roleSource = 'metadata';
    for (const p of hinted) roles.set(p.id, p.roleHint!);
    if (md.participants.length === 2 && hinted.length === 1) {
      const other = md.participants.find((p) => !p.roleHint)!;
      roles.set(other.id, hinted[0].roleHint === 'caller' ? 'callee' : 'caller');
    }
  } else if (md.participants.length >= 2) {
    roles.set(md.participants[0].id, 'caller');
    roles.set(md.participants[1].id, 'callee');
  }

  let byLabel = 0;
  const legs: MappedLeg[] = accepted.map((d, i) => {
    const stream = d.label !== null ? md.streams.find((s) => s.label === d.label) : undefined;
    let participant = stream ? md.participants.find((p) => p.sends.includes(stream.id)) : undefined;
    if (participant) byLabel++;
    // Fallback: the i-th accepted audio line belongs to the i-th participant when the counts agree.
    else if (accepted.length === md.participants.length) participant = md.participants[i];
    return {
      mline: d.index,
      label: d.label,
      participantId: participant?.id ?? null,
      role: participant ? (roles.get(participant.id) ?? 'unknown') : 'unknown',
      aor: participant?.aor ?? null,
      e164: participant?.e164 ?? null,
    };
  });
  const mappingSource = byLabel === legs.length ? 'label' : byLabel === 0 ? 'order' : 'mixed';

  const isSubscriber = (n: string | null): boolean =>
    n !== null && rules.subscriberPrefixes.some((p) => n.startsWith(p));
  const subscriberLeg = rules.subscriberPrefixes.length ? legs.findIndex((l) => isSubscriber(l.e164)) : -1;
  let direction = md.directionHint;
  if (!direction && subscriberLeg !== -1) {
    const r = legs[subscriberLeg].role;
    direction = r === 'callee' ? 'incoming' : r === 'caller' ? 'outgoing' : null;
  }
  direction ??= rules.defaultDirection;

  let protectedLeg: number;
  if (subscriberLeg !== -1) protectedLeg = subscriberLeg;
  else {
    const want: Role =
      rules.protectedLeg === 'auto' ? (direction === 'incoming' ? 'callee' : 'caller') : rules.protectedLeg;
    protectedLeg = legs.findIndex((l) => l.role === want);
  }
  return { legs, direction, protectedLeg, mappingSource, roleSource };
}
