import { BrokerError, ErrorCode } from '@broker/errors';
import type { PersonSource } from '../person-source';
import type { SourceAdapter } from '../source-adapter';
import { rnppAnswerProblem } from './rnpp-answer';
import type { RnppField, RnppPerson } from './rnpp-person';

/** A register answer that is not the person asked for, or not of the expected shape: never disclosed. */
export class UnusableSourceAnswer extends BrokerError {
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(
      ErrorCode.SOURCE_UNAVAILABLE,
      'The register answered with a record that is not the one asked for; try again later.',
      { source, problem: 'shape' },
    );
  }
}

/**
 * What leaves the broker of an RNPP record for `subject`: checks that the register answered for
 * this person with every field asked, each of its shape (else UnusableSourceAnswer), then keeps
 * only the fields asked for, whatever else it sent, with related persons reduced to their matricules.
 */
export function rnppDisclosed(
  record: Partial<RnppPerson>,
  fields: readonly RnppField[],
  subject: string,
): Record<string, unknown> {
  const problem = rnppAnswerProblem(record, subject, fields);
  if (problem) throw new UnusableSourceAnswer('rnpp', problem);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = record[f];
    out[f] = f === 'parents' || f === 'children' ? (v as string[]).map((m) => ({ matricule: m })) : v;
  }
  return out;
}

/** The RNPP as a catalogue source: the person port plus the answer check. */
export class RnppAdapter implements SourceAdapter {
  readonly name = 'rnpp';

  constructor(private readonly rnpp: PersonSource) {}

  async fetch(matricule: string, registerFields: readonly string[]): Promise<Record<string, unknown>> {
    const fields = registerFields as readonly RnppField[];
    return rnppDisclosed(await this.rnpp.fetchPerson(matricule, fields), fields, matricule);
  }

  isReady(): Promise<boolean> {
    return this.rnpp.isReady();
  }
}
