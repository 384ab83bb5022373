import { BlockList, isIP } from 'node:net';

/**
 * Allow-list of SBC source addresses: single IPv4/IPv6 addresses and CIDRs. Backed by node's BlockList (used here as
 * an allow set), which already does correct prefix matching for both families.
 */
export interface AddressAllowList {
  /** True when `address` (as reported by a socket, IPv4-mapped IPv6 included) is allowed. */
  allows(address: string): boolean;
  readonly entries: readonly string[];
}

export type AllowListResult =
  { ok: true; list: AddressAllowList } | { ok: false; code: 'ALLOW_LIST_BAD_ENTRY'; detail: string };

/** Strips the IPv4-mapped prefix a dual-stack socket reports (`::ffff:10.0.0.1`) so IPv4 rules apply. */
export function normalizeAddress(address: string): string {
  if (address.length > 7 && address.charCodeAt(0) === 58 && address.toLowerCase().startsWith('::ffff:')) {
    const tail = address.slice(7);
    if (isIP(tail) === 4) return tail;
  }
  return address;
}

export function createAllowList(entries: readonly string[]): AllowListResult {
  const bl = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const addr = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(addr);
    if (family === 0) return { ok: false, code: 'ALLOW_LIST_BAD_ENTRY', detail: `not an IP address: ${raw}` };
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      bl.addAddress(addr, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) {
      return { ok: false, code: 'ALLOW_LIST_BAD_ENTRY', detail: `bad prefix length: ${raw}` };
    }
    bl.addSubnet(addr, prefix, type);
  }
  const frozen = Object.freeze([...entries]);
  return {
    ok: true,
    list: {
      entries: frozen,
      allows(address: string): boolean {
        const a = normalizeAddress(address);
        const family = isIP(a);
        if (family === 0) return false;
        return bl.check(a, family === 4 ? 'ipv4' : 'ipv6');
      },
    },
  };
}
