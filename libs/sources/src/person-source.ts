import type { RnppField, RnppPerson } from './rnpp/rnpp-person';

/** Injection token of the PersonSource in use (the RNPP adapter in every deployment so far). */
export const PERSON_SOURCE = Symbol('PERSON_SOURCE');

/**
 * The port through which the broker reads persons from their authentic source.
 * Implementations throw BrokerError(PERSON_NOT_FOUND | SOURCE_UNAVAILABLE) and nothing else.
 */
export interface PersonSource {
  /** Short name stored in each access-log entry (`rnpp`). */
  readonly name: string;
  /** Reads only `fields` (plus the matricule) of one person. */
  fetchPerson(
    matricule: string,
    fields: readonly RnppField[],
  ): Promise<Partial<RnppPerson> & { matricule: string }>;
  /** True when the source answers its health probe. */
  isReady(): Promise<boolean>;
}
