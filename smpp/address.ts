/** Source/destination addresses for submit_sm: TON/NPI autodetection and MSISDN normalisation. */

export interface SmppAddress {
  addr: string;
  ton: number;
  npi: number;
}

/**
 * A sender: digits (optionally +) are international E.164 (TON 1/NPI 1); anything else alphanumeric (TON 5/NPI 0, max
 * 11 chars).
 */
export function senderAddress(sender: string): SmppAddress {
  const s = sender.trim();
  if (/^\+?\d{1,15}$/.test(s)) return { addr: s.replace(/^\+/, ''), ton: 1, npi: 1 };
  return { addr: s.slice(0, 11), ton: 5, npi: 0 };
}

/** Normalises a subscriber number to digits only (E.164 without '+'), or null if it is not one. */
export function normalizeMsisdn(msisdn: string): string | null {
  const digits = msisdn
    .trim()
    .replace(/^\+/, '')
    .replace(/[\s\-().]/g, '');
  return /^\d{5,15}$/.test(digits) ? digits : null;
}

/** The destination: international E.164 (TON 1/NPI 1). */
export function destinationAddress(msisdn: string): SmppAddress {
  return { addr: msisdn, ton: 1, npi: 1 };
}
