import type { AccessChannel, AccessOutcome } from '@broker/access-log';
import type { TrustRegistry } from '@broker/trust';
import { SELF_REQUESTER } from './citizen';

/** Languages of the citizen page. */
export const LANGUAGES = ['en', 'fr', 'de', 'lb'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface MemberView {
  id: string;
  name: string;
}

export type LocalizedText = Record<Language, string | null>;

export interface PurposeView {
  code: string;
  labels: LocalizedText;
}

/** One access-log entry about the citizen, in the words of the citizen page. */
export interface CitizenLogEntry {
  /** The entry's seq. */
  id: string;
  occurredAt: Date;
  channel: AccessChannel;
  member: MemberView;
  purpose: PurposeView | null;
  itemsRequested: string[];
  itemsDisclosed: string[];
  outcome: AccessOutcome;
  reasonCode: string | null;
  consentJti: string | null;
  consentIssuer: string | null;
  jobId: string | null;
  reported: boolean;
}

/** What the views need of the trust configuration. */
export type TrustNames = Pick<TrustRegistry, 'member' | 'staffIssuer' | 'purposeLabel'>;

/**
 * Who asked, as the citizen should read it: a member's registered name; the citizen themself
 * for a self-access; the staff issuer's name for an auditor (`auditor:<issuer>/<sub>`); else the id.
 */
export function memberView(trust: TrustNames, id: string): MemberView {
  const member = trust.member(id);
  if (member) return { id, name: member.name };
  if (id === SELF_REQUESTER) return { id, name: 'You (self-access)' };
  if (id.startsWith('auditor:')) {
    const rest = id.slice('auditor:'.length);
    // the staff issuer id may itself contain '/': take the longest registered prefix
    for (let i = rest.lastIndexOf('/'); i > 0; i = rest.lastIndexOf('/', i - 1)) {
      const issuer = trust.staffIssuer(rest.slice(0, i));
      if (issuer) return { id, name: `${issuer.name} (auditor)` };
    }
  }
  return { id, name: id };
}

/** A purpose code with its labels from the trust file (null where none is configured). */
export function purposeView(trust: TrustNames, code: string): PurposeView {
  const labels = trust.purposeLabel(code) ?? {};
  return {
    code,
    labels: Object.fromEntries(LANGUAGES.map((l) => [l, labels[l] ?? null])) as LocalizedText,
  };
}
