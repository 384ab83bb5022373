/**
 * CALLGUARD_SMPP_URL parsing: `smpp://system_id:password@host:port` (TLS with `ssmpp://`), several
 * comma-separated for fail-over. Credentials are percent-decoded. Throws SmppError('CG_SMPP_CONFIG').
 */
import { SmppError } from './errors.js';

export interface SmscEndpoint {
  host: string;
  port: number;
  tls: boolean;
  systemId: string;
  password: string;
  /** `?system_type=` in the URL, overriding the service-wide option. */
  systemType?: string;
}

/** Parses a comma-separated URL list. Error messages never include the password. */
export function parseSmscUrls(s: string): SmscEndpoint[] {
  const out: SmscEndpoint[] = [];
  for (const part of s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      throw new SmppError('CG_SMPP_CONFIG', `invalid SMSC URL #${out.length + 1}`);
    }
    if (u.protocol !== 'smpp:' && u.protocol !== 'ssmpp:') {
      throw new SmppError('CG_SMPP_CONFIG', `SMSC URL #${out.length + 1}: scheme must be smpp:// or ssmpp://`);
    }
    const tls = u.protocol === 'ssmpp:';
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw new SmppError('CG_SMPP_CONFIG', `SMSC URL #${out.length + 1}: missing host`);
    const port = u.port ? Number(u.port) : tls ? 3550 : 2775;
    const systemId = decodeURIComponent(u.username);
    if (!systemId)
      throw new SmppError('CG_SMPP_CONFIG', `SMSC URL #${out.length + 1} (${host}:${port}): missing system_id`);
    const ep: SmscEndpoint = { host, port, tls, systemId, password: decodeURIComponent(u.password) };
    const st = u.searchParams.get('system_type');
    if (st) ep.systemType = st;
    out.push(ep);
  }
  if (out.length === 0) throw new SmppError('CG_SMPP_CONFIG', 'no SMSC URL given');
  return out;
}
