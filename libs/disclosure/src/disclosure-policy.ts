import type { Consent } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { DataItem } from '@broker/data-items';
import type { Member } from '@broker/trust';

/**
 * The disclosure rule: a member may receive an item about a citizen only if the citizen's
 * consent names that member, that citizen, a purpose the member is registered for, and the item;
 * and the member's grant for that purpose includes the item. Pure: no I/O, no clock.
 * Checks run in a fixed order so that each refusal has one precise code.
 */
export function assertDisclosureAllowed(
  member: Member,
  consent: Consent,
  subject: string,
  requested: readonly DataItem[],
): void {
  if (consent.audience !== member.id) {
    throw new BrokerError(
      ErrorCode.CONSENT_AUDIENCE_MISMATCH,
      'The consent was given to another administration.',
    );
  }
  if (consent.subject !== subject) {
    throw new BrokerError(
      ErrorCode.CONSENT_SUBJECT_MISMATCH,
      'The consent is about another person than the one queried.',
    );
  }
  const grant = member.grants.get(consent.purpose);
  if (!grant) {
    throw new BrokerError(
      ErrorCode.PURPOSE_NOT_ALLOWED,
      "Your administration is not registered for the consent's purpose.",
      {
        purpose: consent.purpose,
      },
    );
  }
  const notConsented = requested.filter((i) => !consent.scope.has(i));
  const notGranted = requested.filter((i) => !grant.has(i));
  if (notConsented.length || notGranted.length) {
    throw new BrokerError(
      ErrorCode.SCOPE_NOT_GRANTED,
      'The query asks for data items that are not both consented and granted.',
      {
        notConsented,
        notGranted,
      },
    );
  }
}
