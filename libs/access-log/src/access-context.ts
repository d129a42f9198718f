import type { AccessChannel } from './access-entry';

/** What the access log names of a consent: its purpose, issuer and id. */
export interface ConsentRef {
  purpose: string;
  issuer: string;
  jti: string;
}

/**
 * Who asks, through which channel, for which request: the one context every channel (the
 * members' synchronous queries, batch jobs, the citizen's own look, auditors) hands to its
 * services and from which every log entry is built (accessEntry).
 */
export interface AccessContext {
  /** The member's id, `citizen` for a citizen's own look, the auditor's staff id. */
  readonly requesterId: string;
  readonly channel: AccessChannel;
  readonly correlationId: string;
  /** The batch job the access belongs to, if any. */
  readonly jobId?: string | null;
  /** The consent the access is made under, once it is known to be authentic. */
  readonly consent?: ConsentRef | null;
  /** The purpose when no consent names one: an auditor's action (`audit.reports`). */
  readonly purpose?: string | null;
}
