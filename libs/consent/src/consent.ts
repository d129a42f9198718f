import type { DataItem } from '@broker/data-items';

/** A verified consent: a citizen (`subject`) lets `audience` receive `scope` for `purpose`. */
export interface Consent {
  issuer: string;
  jti: string;
  subject: string;
  audience: string;
  purpose: string;
  scope: ReadonlySet<DataItem>;
  issuedAt: number;
  expiresAt: number;
}
