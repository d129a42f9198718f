import type { BrokerError } from '@broker/errors';

/**
 * The GraphQL source object of a partial answer: each field of a failed source holds that
 * source's error itself. graphql-js turns a field value that is an Error into a field error
 * (`completeValue`), so each failed field resolves to null with its own error at its own path
 * (`["person", "affiliations"]`) while the other fields are answered: partial data without a
 * resolver per field. A function (a throwing thunk) would not do: the field resolvers of
 * @nestjs/graphql's code-first schema return the property as it is, without calling it.
 */
export function partialAnswer(
  values: Record<string, unknown>,
  failures: readonly { fields: readonly string[]; error: BrokerError }[],
): Record<string, unknown> {
  if (failures.length === 0) return values;
  const out = { ...values };
  for (const f of failures) for (const field of f.fields) out[field] = f.error;
  return out;
}
