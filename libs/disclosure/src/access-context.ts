import type { AccessChannel } from '@broker/access-log';
import type { Member } from '@broker/trust';

/** Who asks, through which channel, under which consent, for which request: passed explicitly to every service call. */
export interface AccessContext {
  member: Member;
  channel: AccessChannel;
  /** The raw Consent-Token, verified by the service (never trusted as given). */
  consentToken: string | undefined;
  correlationId: string;
  jobId?: string | null;
}
