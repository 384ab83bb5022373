import { parseParams } from './sip-headers.js';

/**
 * Content-Type values (RFC 2045 style `type/subtype; param=value`), lower-cased type, unquoted params.
 * Used for the INVITE body and each multipart part.
 */
export interface MediaType {
  readonly type: string; // e.g. 'multipart/mixed'
  readonly params: Record<string, string | null>;
}

export function parseMediaType(value: string | undefined): MediaType | null {
  if (!value) return null;
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return null;
  return { type, params: parseParams(semi === -1 ? '' : value.slice(semi)) };
}
