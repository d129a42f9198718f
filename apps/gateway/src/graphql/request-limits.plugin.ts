import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { BrokerError, ErrorCode } from '@broker/errors';

/** Limits on one GraphQL document; documented in docs/integrator-guide.md. */
export const REQUEST_LIMITS = {
  /** A consent covers one citizen, so one person field per request. */
  maxPersonFields: 1,
  maxDepth: 6,
  maxFields: 100,
  maxAliases: 10,
  maxDirectives: 10,
  /** Lexer tokens, checked while parsing (Apollo's parseOptions.maxTokens). */
  maxTokens: 1000,
} as const;

interface Counts {
  depth: number;
  fields: number;
  aliases: number;
  directives: number;
  personFields: number;
}

function measure(doc: DocumentNode): Counts {
  const counts: Counts = { depth: 0, fields: 0, aliases: 0, directives: 0, personFields: 0 };
  const fragments = new Map(
    doc.definitions
      .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d.selectionSet]),
  );
  const walk = (set: SelectionSetNode, depth: number, root: boolean, path: Set<string>): void => {
    counts.depth = Math.max(counts.depth, depth);
    for (const sel of set.selections) {
      counts.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.FIELD) {
        counts.fields++;
        if (sel.alias) counts.aliases++;
        if (root && sel.name.value === 'person') counts.personFields++;
        if (sel.selectionSet) walk(sel.selectionSet, depth + 1, false, path);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, depth, root, path);
      } else {
        const target = fragments.get(sel.name.value);
        // a fragment cycle is refused by validation; the path guard only keeps this walk finite
        if (target && !path.has(sel.name.value)) walk(target, depth, root, new Set(path).add(sel.name.value));
      }
    }
  };
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) walk(def.selectionSet, 1, true, new Set());
  }
  return counts;
}

/** The reason a document is over a limit, or null. */
export function overLimit(doc: DocumentNode): string | null {
  const c = measure(doc);
  if (c.personFields > REQUEST_LIMITS.maxPersonFields)
    return `at most ${REQUEST_LIMITS.maxPersonFields} person field per request`;
  if (c.depth > REQUEST_LIMITS.maxDepth) return `depth ${c.depth} above ${REQUEST_LIMITS.maxDepth}`;
  if (c.fields > REQUEST_LIMITS.maxFields) return `${c.fields} fields above ${REQUEST_LIMITS.maxFields}`;
  if (c.aliases > REQUEST_LIMITS.maxAliases) return `${c.aliases} aliases above ${REQUEST_LIMITS.maxAliases}`;
  if (c.directives > REQUEST_LIMITS.maxDirectives)
    return `${c.directives} directives above ${REQUEST_LIMITS.maxDirectives}`;
  return null;
}

/** Refuses over-limit documents before any resolver runs (so before authentication or logging). */
export function requestLimitsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document }) {
          const reason = overLimit(document);
          if (reason) {
            throw new GraphQLError(`The query is too complex: ${reason}.`, {
              originalError: new BrokerError(
                ErrorCode.QUERY_TOO_COMPLEX,
                `The query is too complex: ${reason}.`,
              ),
              extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
