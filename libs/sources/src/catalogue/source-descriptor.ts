/** The four languages the citizen page speaks. */
export type PageLanguage = 'en' | 'fr' | 'de' | 'lb';

/** One data item of a source: the vocabulary of consent scopes and member grants. */
export interface ItemDescriptor {
  /** The item's name in scopes, grants, the GraphQL `DataItem` enum and the log (unique across sources). */
  readonly name: string;
  /** The GraphQL `Person` fields it discloses (unique across sources). */
  readonly fields: readonly string[];
  /** The register fields fetched for it: only these leave the register. */
  readonly registerFields: readonly string[];
  /** One line for contracts/data-items.md. */
  readonly description: string;
}

/**
 * What the broker knows of an authentic source without calling it: its name, its items and how
 * people call it. The adapter that fetches from it is bound separately (SourceAdapter), so that
 * the vocabulary is known to every process (the CLI, the contract generator) without a connection.
 */
export interface SourceDescriptor {
  /** Short name in log entries, errors (`extensions.source`), metrics and configuration (`rnpp`). */
  readonly name: string;
  /** The register named in words, as the citizen page shows it. */
  readonly titles: Readonly<Record<PageLanguage, string>>;
  readonly items: readonly ItemDescriptor[];
  /**
   * The register of who exists (the RNPP): its PERSON_NOT_FOUND refuses the whole request, and
   * readiness waits for it. Any other source that fails loses its own fields only.
   */
  readonly authoritative?: boolean;
}
