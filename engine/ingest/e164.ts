/**
 * Phone numbers from participant URIs: tel: (RFC 3966) and sip:/sips: with a numeric user part (user=phone or not),
 * normalised to E.164 (`+` and 8..15 digits). National forms are converted only when a country code is configured
 * (trunk prefix 0 followed by the national number, the common European convention).
 */
export interface NumberFromUri {
  /** E.164 with leading '+', or null when the URI does not carry a recognisable number. */
  readonly e164: string | null;
  /** The user part / telephone-subscriber as written (unescaped), for logs. */
  readonly user: string | null;
}

export function numberFromUri(uri: string, countryCode?: string): NumberFromUri {
  const u = uri.trim().replace(/^<|>$/g, '');
  let user: string | null = null;
  const tel = /^tel:([^;?]+)/i.exec(u);
  if (tel) user = tel[1];
  else {
    const sip = /^sips?:([^@?>]+)@/i.exec(u); // user part may carry ;params (isub, user=phone written before the host)
    if (sip) user = sip[1].split(';')[0];
  }
  if (user === null) return { e164: null, user: null };
  try {
    user = decodeURIComponent(user);
  } catch {
    // keep the raw form: a bad %-escape is not a number anyway
  }
  // RFC 3966 visual separators.
  const compact = user.replace(/[-.() ]/g, '');
  let digits: string | null = null;
  if (/^\+\d+$/.test(compact)) digits = compact.slice(1);
  else if (/^00\d+$/.test(compact)) digits = compact.slice(2);
  else if (countryCode && /^0\d+$/.test(compact)) digits = countryCode.replace(/^\+/, '') + compact.slice(1);
  if (digits === null || digits.length < 8 || digits.length > 15 || digits[0] === '0') return { e164: null, user };
  return { e164: `+${digits}`, user };
}
