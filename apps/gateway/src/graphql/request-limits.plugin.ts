import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { BrokerError, ErrorCode } from '@broker/errors';

/** Limits on one GraphQL document; documented in docs/integrator-guide.md. */
export const REQUEST_LIMITS = {
  /**
   * How often one root field (`person`, `myData`, `withdrawConsent`, ...) may appear, aliases
   * included: a consent covers one citizen, and ten aliased `myData` must not make ten register
   * reads. Several things at once are several requests.
   */
  maxSameRootField: 1,
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
  /** Occurrences of each root field, by field name (not response key). */
  roots: Map<string, number>;
}

const zero = (): Counts => ({ depth: 0, fields: 0, aliases: 0, directives: 0, roots: new Map() });

function add(into: Counts, from: Counts, extraDepth: number): void {
  into.depth = Math.max(into.depth, from.depth + extraDepth);
  into.fields += from.fields;
  into.aliases += from.aliases;
  into.directives += from.directives;
  for (const [name, n] of from.roots) into.roots.set(name, (into.roots.get(name) ?? 0) + n);
}

/**
 * Counts what a document would make the server do. Each fragment is measured once and its
 * counts reused wherever it is spread, so the cost of measuring is linear in the document
 * (a naive walk is exponential in nested spreads: a denial of service before authentication).
 */
function measure(doc: DocumentNode): Counts {
  const fragments = new Map(
    doc.definitions
      .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d.selectionSet]),
  );
  const memo = new Map<string, Counts>();
  const open = new Set<string>();
  const ofSet = (set: SelectionSetNode, root: boolean): Counts => {
    const c = zero();
    for (const sel of set.selections) {
      c.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.FIELD) {
        // introspection (__schema, __type) is answered from the schema alone, and is off in
        // production mode: tools' deep type queries are not limited like data queries
        if (root && sel.name.value.startsWith('__')) continue;
        c.fields++;
        if (sel.alias) c.aliases++;
        if (root) c.roots.set(sel.name.value, (c.roots.get(sel.name.value) ?? 0) + 1);
        add(c, sel.selectionSet ? ofSet(sel.selectionSet, false) : zero(), 1);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        add(c, ofSet(sel.selectionSet, root), 0);
      } else {
        add(c, ofFragment(sel.name.value, root), 0);
      }
    }
    return c;
  };
  const ofFragment = (name: string, root: boolean): Counts => {
    const key = `${name}:${root}`;
    const known = memo.get(key);
    if (known) return known;
    const target = fragments.get(name);
    // a fragment cycle is refused by validation; this guard only keeps the walk finite
    if (!target || open.has(key)) return zero();
    open.add(key);
    const c = ofSet(target, root);
    open.delete(key);
    memo.set(key, c);
    return c;
  };
  const total = zero();
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) add(total, ofSet(def.selectionSet, true), 0);
  }
  return total;
}

/** The reason a document is over a limit, or null. */
export function overLimit(doc: DocumentNode): string | null {
  const c = measure(doc);
  for (const [name, n] of c.roots) {
    if (n > REQUEST_LIMITS.maxSameRootField)
      return `at most ${REQUEST_LIMITS.maxSameRootField} ${name} field per request`;
  }
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
