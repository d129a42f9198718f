import type { AccessContext } from '@broker/access-log';
import type { Member } from '@broker/trust';

/**
 * A member's request: the common access context (requesterId = the member's id) plus the member
 * and the raw Consent-Token, which the service verifies (never trusted as given) before the
 * consent joins the context.
 */
export interface MemberAccessContext extends AccessContext {
  readonly member: Member;
  readonly consentToken: string | undefined;
}
