import type { AccessContext, ConsentRef } from '@broker/access-log';
import type { Member } from '@broker/trust';
import type { StoredConsent } from './batch.types';

/**
 * A member acting in the batch channel (submitting a job, reading one): the common access
 * context, channel `async`, plus the authenticated member whose grants the services apply. Each
 * item of a job has its own consent, so the request's context names none.
 */
export interface BatchAccessContext extends AccessContext {
  readonly channel: 'async';
  readonly member: Member;
}

/** The batch context of an authenticated member's request. */
export function batchAccessContext(member: Member, correlationId: string): BatchAccessContext {
  return { member, requesterId: member.id, channel: 'async', correlationId };
}

/** What a job row keeps of the context it was submitted in (the job carries its context as data). */
export interface JobContextRef {
  id: string;
  memberId: string;
  correlationId: string;
}

/**
 * The access context of one item of a job, rebuilt from the job (who asked, under which
 * correlation id, in which job) and the item's consent: the same at submission and in a worker,
 * so every entry of a job is built alike.
 */
export function jobItemContext(job: JobContextRef, consent: Partial<StoredConsent> | null): AccessContext {
  return {
    requesterId: job.memberId,
    channel: 'async',
    correlationId: job.correlationId,
    jobId: job.id,
    consent: consentRef(consent),
  };
}

/** The consent as the log names it, when it is known (a refusal before verification names none). */
function consentRef(c: Partial<StoredConsent> | null): ConsentRef | null {
  if (!c?.purpose || !c.issuer || !c.jti) return null;
  return { purpose: c.purpose, issuer: c.issuer, jti: c.jti };
}
