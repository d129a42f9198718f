/** Injection token of every bound SourceAdapter (an array, one per catalogue source). */
export const SOURCE_ADAPTERS = Symbol('SOURCE_ADAPTERS');

/**
 * How the broker reads one person from one authentic source. `fetch` returns the values of the
 * GraphQL `Person` fields of the items asked, already checked against the register's contract
 * (an answer of the wrong shape, or about another person, never comes out). It throws
 * BrokerError(SOURCE_UNAVAILABLE, { source, problem }), or PERSON_NOT_FOUND from an
 * authoritative source, and nothing else.
 */
export interface SourceAdapter {
  /** The catalogue name of the source it reads (`rnpp`, `ccss`). */
  readonly name: string;
  fetch(matricule: string, registerFields: readonly string[]): Promise<Record<string, unknown>>;
  /** True when the register answers its health probe. */
  isReady(): Promise<boolean>;
}
