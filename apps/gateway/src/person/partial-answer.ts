import type { BrokerError } from '@broker/errors';

/**
 * The GraphQL source object of a partial answer: each field of a failed source becomes a getter
 * that throws its error. The code-first schema's field resolvers read `root[field]` (they do not
 * call a function-valued property as graphql-js's default resolver would), so a getter is what
 * makes each failed field resolve to null with its own error at its own path
 * (`["person", "affiliations"]`), while the other fields are answered: partial data without a
 * resolver per field.
 */
export function partialAnswer(
  values: Record<string, unknown>,
  failures: readonly { fields: readonly string[]; error: BrokerError }[],
): Record<string, unknown> {
  if (failures.length === 0) return values;
  const out = { ...values };
  for (const f of failures) {
    const fail = (): never => {
      throw f.error;
    };
    for (const field of f.fields) Object.defineProperty(out, field, { get: fail, enumerable: true });
  }
  return out;
}
