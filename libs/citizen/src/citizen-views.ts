import type { AccessChannel, AccessOutcome } from '@broker/access-log';
import { SOURCE_REGISTRY } from '@broker/data-items';
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

/** The items of one entry that one register holds, and those it did not deliver. */
export interface EntrySource {
  /** The source's short name from the catalogue (`rnpp`, `ccss`, `rcs`). */
  source: string;
  /** The requested items this register holds, in catalogue order. */
  items: string[];
  /** Those of `items` it did not deliver: its answer failed (a partial answer, or the refusal it caused). */
  failedItems: string[];
}

/** A register of the catalogue, named for the citizen page. */
export interface SourceView {
  name: string;
  titles: LocalizedText;
  items: string[];
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
  /** Per register: the requested items it holds and those it did not deliver. */
  sources: EntrySource[];
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

/** Every register of the catalogue with its names in the page's languages and its items. */
export function sourceViews(): SourceView[] {
  return SOURCE_REGISTRY.sources.map((s) => ({
    name: s.name,
    titles: Object.fromEntries(LANGUAGES.map((l) => [l, s.titles[l]])) as LocalizedText,
    items: s.items.map((i) => i.name),
  }));
}

/** What an entry says about its sources (the access_log columns). */
export interface EntrySourceColumns {
  itemsRequested: readonly string[];
  /** `item:source`; null on entries written before there were several sources. */
  itemSources: readonly string[] | null;
  itemsFailed: readonly string[] | null;
  /** The sources asked joined with `+`, or what was read instead of a register (`access-report`). */
  source: string | null;
}

/**
 * The entry's items grouped by the register that holds them, in the order of the requested items
 * (catalogue order). The entry's own `item:source` pairs are authoritative; an entry written
 * before there were several sources has none, and its items are placed by the catalogue (then
 * all of them were the RNPP's). A register that was asked without any item (a query of the
 * matricule alone, which the RNPP confirms) appears with no item.
 */
export function entrySources(e: EntrySourceColumns): EntrySource[] {
  const recorded = new Map<string, string>();
  for (const pair of e.itemSources ?? []) {
    const colon = pair.lastIndexOf(':');
    if (colon > 0) recorded.set(pair.slice(0, colon), pair.slice(colon + 1));
  }
  const failed = new Set(e.itemsFailed ?? []);
  const groups = new Map<string, EntrySource>();
  const group = (source: string): EntrySource => {
    let g = groups.get(source);
    if (!g) groups.set(source, (g = { source, items: [], failedItems: [] }));
    return g;
  };
  for (const item of e.itemsRequested) {
    const source =
      recorded.get(item) ??
      (SOURCE_REGISTRY.isItem(item) ? SOURCE_REGISTRY.sourceOf(item).name : (e.source ?? 'unknown'));
    const g = group(source);
    g.items.push(item);
    if (failed.has(item)) g.failedItems.push(item);
  }
  for (const asked of e.source?.split('+') ?? []) if (SOURCE_REGISTRY.source(asked)) group(asked);
  return [...groups.values()].sort((a, b) => catalogueOrder(a.source) - catalogueOrder(b.source));
}

function catalogueOrder(source: string): number {
  const i = SOURCE_REGISTRY.sources.findIndex((s) => s.name === source);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}
