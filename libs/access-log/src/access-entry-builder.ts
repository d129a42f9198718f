import { SOURCE_REGISTRY, type DataItem } from '@broker/data-items';
import type { AccessContext, ConsentRef } from './access-context';
import type { AccessOutcome, NewAccessEntry } from './access-entry';
import { logIdentifierOrNull } from './entry-strings';

/** One decision about a request, as a service states it; accessEntry turns it into the log's form. */
export interface AccessDecision {
  occurredAt: Date;
  /** The data subject's matricule, or null when the request named no valid one. */
  subject: string | null;
  itemsRequested: readonly DataItem[];
  outcome: AccessOutcome;
  /** Default: every requested item not failed when DISCLOSED, none when REFUSED. */
  itemsDisclosed?: readonly DataItem[];
  /** Items whose source failed in a partial answer. */
  itemsFailed?: readonly DataItem[];
  reasonCode?: string | null;
  /** The sources asked, in catalogue order; null or empty when none was. */
  sources?: readonly string[] | null;
  /** What was read instead of a register (`access-log`, `access-report`); wins over `sources`. */
  source?: string | null;
  /** The consent to name when the context has none yet (an expired or withdrawn one is still authentic). */
  consent?: ConsentRef | null;
  /** For an auditor's action: the filter used, as canonical JSON. */
  auditFilter?: string | null;
}

/**
 * The one builder of access-log entries, for every channel: the context says who asked, how and
 * under which consent; the decision says about whom, what, and with which outcome. Consent values
 * the log cannot record are left out (a refusal never carries the bad value), and each requested
 * item is named with its source from the catalogue.
 */
export function accessEntry(ctx: AccessContext, d: AccessDecision): NewAccessEntry {
  const consent = ctx.consent ?? d.consent ?? undefined;
  const failed = d.itemsFailed ?? [];
  const disclosed =
    d.itemsDisclosed ??
    (d.outcome === 'DISCLOSED' ? d.itemsRequested.filter((i) => !failed.includes(i)) : []);
  const entry: NewAccessEntry = {
    occurredAt: d.occurredAt,
    channel: ctx.channel,
    memberId: ctx.requesterId,
    purpose: logIdentifierOrNull(consent?.purpose ?? ctx.purpose),
    consentIssuer: logIdentifierOrNull(consent?.issuer),
    consentJti: logIdentifierOrNull(consent?.jti),
    subject: d.subject,
    itemsRequested: [...d.itemsRequested],
    itemsDisclosed: [...disclosed],
    outcome: d.outcome,
    reasonCode: d.reasonCode ?? null,
    source: d.source ?? (d.sources?.length ? d.sources.join('+') : null),
    correlationId: ctx.correlationId,
    jobId: ctx.jobId ?? null,
  };
  if (d.itemsRequested.length) entry.itemSources = itemSources(d.itemsRequested);
  if (failed.length) entry.itemsFailed = [...failed];
  if (d.auditFilter != null) entry.auditFilter = d.auditFilter;
  return entry;
}

const itemSourceCache = new Map<string, string[]>();

/** `item:source` for each item, memoised by the item list (a handful of distinct lists in practice). */
function itemSources(items: readonly DataItem[]): string[] {
  const key = items.join(',');
  let out = itemSourceCache.get(key);
  if (!out) {
    out = items.map((i) => `${i}:${SOURCE_REGISTRY.sourceOf(i).name}`);
    if (itemSourceCache.size < 1024) itemSourceCache.set(key, out);
  }
  return [...out];
}
