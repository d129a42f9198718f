import type { GraphQLResponse } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';

/** The outcome code of a request answered without an error. */
export const OK_CODE = 'OK';

const CODE_SHAPE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The distinct error codes of an answer, the first error's first. The errors are already mapped
 * (error-mapper.ts: catalogue and Apollo codes only); anything else is counted as INTERNAL_ERROR so
 * that a value a client could influence never reaches a metric label, a log field or a span.
 * The metrics, the application log and the traces all take a request's outcome from here.
 */
export function errorCodes(
  errors: readonly { extensions?: Record<string, unknown> }[] | undefined,
): string[] {
  if (!errors?.length) return [];
  const codes = errors.map((e) => {
    const code = e.extensions?.code;
    return typeof code === 'string' && CODE_SHAPE.test(code) ? code : 'INTERNAL_ERROR';
  });
  return [...new Set(codes)];
}

/** The errors of an answer as Apollo is about to send it (incremental answers: the initial part). */
export function answerErrors(
  response: GraphQLResponse,
): readonly { extensions?: Record<string, unknown> }[] | undefined {
  const body = response.body;
  return body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
}

/** The outcome of an answer: OK, or its first error's code. */
export function outcomeCode(response: GraphQLResponse): string {
  return errorCodes(answerErrors(response))[0] ?? OK_CODE;
}

/**
 * The root fields an operation selects, in the order asked, each once (aliases resolved to the
 * field; fragments at the root are not followed). The client's operation name is never used: it is
 * free text.
 */
export function rootFieldNames(op: OperationDefinitionNode): string[] {
  return [
    ...new Set(op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))),
  ];
}
