import type { Consent } from '@broker/consent';
import type { DataItem } from '@broker/data-items';
import type { StoredConsent } from './batch.types';

/** The verified claims kept with an item at submission (JSON in batch_item.consent). */
export function storedConsent(c: Consent): StoredConsent {
  return {
    issuer: c.issuer,
    jti: c.jti,
    subject: c.subject,
    audience: c.audience,
    purpose: c.purpose,
    scope: [...c.scope],
    iat: c.issuedAt,
    exp: c.expiresAt,
  };
}

/** Back to a Consent, to repeat the disclosure rule at release time. */
export function toConsent(c: StoredConsent): Consent {
  return {
    issuer: c.issuer,
    jti: c.jti,
    subject: c.subject,
    audience: c.audience,
    purpose: c.purpose,
    scope: new Set<DataItem>(c.scope),
    issuedAt: c.iat,
    expiresAt: c.exp,
  };
}
