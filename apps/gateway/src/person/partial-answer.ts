import type { BrokerError } from '@broker/errors';

/**
 * The GraphQL source object of a partial answer: each field of a failed source is a getter that
 * throws the source's error. Reading a field happens inside the field's own resolution, so each
 * failed field resolves to null with its own error at its own path (`["person", "affiliations"]`)
 * while the other fields are answered: partial data without a resolver per field, whatever field
 * resolver the server uses (a function-valued property is not called by every one).
 */
export function partialAnswer(
  values: Record<string, unknown>,
  failures: readonly { fields: readonly string[]; error: BrokerError }[],
): Record<string, unknown> {
  if (failures.length === 0) return values;
  const out = { ...values };
  for (const f of failures) {
    for (const field of f.fields) {
      Object.defineProperty(out, field, {
        enumerable: true,
        get(): never {
          throw f.error;
        },
      });
    }
  }
  return out;
}
