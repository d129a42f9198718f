import type { BrokerError } from '@broker/errors';

/**
 * The GraphQL source object of a partial answer: a failed source's fields become functions that
 * throw its error. GraphQL's default field resolver calls a function-valued property, so each
 * failed field resolves to null with its own error at its own path (`["person", "affiliations"]`),
 * while the other fields are answered: partial data without a resolver per field.
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
    for (const field of f.fields) out[field] = fail;
  }
  return out;
}
