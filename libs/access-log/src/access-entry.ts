import type { DataItem } from '@broker/data-items';

/** How the data left (or would have left) the broker. */
export type AccessChannel = 'sync' | 'async' | 'self' | 'audit';
export type AccessOutcome = 'DISCLOSED' | 'REFUSED';

/** One decision about a member's request, as the caller hands it to the appender. */
export interface NewAccessEntry {
  occurredAt: Date;
  channel: AccessChannel;
  memberId: string;
  purpose: string | null;
  consentIssuer: string | null;
  consentJti: string | null;
  /** The data subject's matricule, or null when the request named no valid matricule. */
  subject: string | null;
  itemsRequested: DataItem[];
  itemsDisclosed: DataItem[];
  outcome: AccessOutcome;
  reasonCode: string | null;
  /** The sources asked, in catalogue order, joined with `+` (`rnpp`, `rnpp+ccss`); null when none was asked. */
  source: string | null;
  /**
   * Each requested item with the source that holds it, as `item:source` in catalogue order
   * (`name:rnpp`, `affiliation:ccss`). Absent on entries written before there were several sources.
   */
  itemSources?: string[] | null;
  /** Items whose source failed while the others were disclosed (a partial answer); absent when none. */
  itemsFailed?: DataItem[] | null;
  correlationId: string;
  jobId: string | null;
  /** For an auditor's action (channel `audit`): the filter used, as canonical JSON. */
  auditFilter?: string | null;
  /**
   * A random value (base64url, 16+ bytes) given to each entry before it is sealed, so that its leaf
   * hash in the public transparency log reveals nothing even when every other field is guessable.
   * Absent on entries written before the transparency log.
   */
  salt?: string | null;
}

/** An entry once it has its place in the chain. */
export interface AccessEntry extends NewAccessEntry {
  seq: string;
  prevHash: string;
  hash: string;
}
