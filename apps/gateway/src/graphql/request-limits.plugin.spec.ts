import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  GraphQLError,
  Kind,
  buildSchema,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { BrokerError, ErrorCode } from '@broker/errors';
import { REQUEST_LIMITS, overLimit, requestLimitsPlugin } from './request-limits.plugin';

const schema = buildSchema(
  readFileSync(path.resolve(__dirname, '../../../../contracts/schema.graphql'), 'utf8'),
);
const M = '"1980010112345"';

const check = (query: string): string | null => overLimit(parse(query));
/** Like `check`, but first asserts that the document is valid against the published schema. */
function checkValid(query: string): string | null {
  const doc = parse(query, { maxTokens: REQUEST_LIMITS.maxTokens });
  expect(validate(schema, doc)).toEqual([]);
  return overLimit(doc);
}

/** `{ a { a { ... } } }` with `depth` nested selection sets. */
function nested(depth: number): string {
  let s = 'leaf';
  for (let i = 1; i < depth; i++) s = `f${i} { ${s} }`;
  return `{ ${s} }`;
}

describe('overLimit: normal queries pass', () => {
  it.each([
    ['a plain person query', `{ person(matricule: ${M}) { matricule surname givenNames } }`],
    [
      'a named operation with variables and nested objects',
      `query Read($m: ID!) { person(matricule: $m) { surname address { street postalCode locality }
        birthPlace { locality country } parents { matricule } children { matricule } } }`,
    ],
    [
      'fragments and inline fragments',
      `query { person(matricule: ${M}) { ...P ... on Person { sex } } } fragment P on Person { surname birthDate }`,
    ],
    ['one alias and @include', `{ p: person(matricule: ${M}) { name: surname sex @include(if: true) } }`],
    ['__typename next to person', `{ __typename person(matricule: ${M}) { __typename matricule } }`],
    [
      'every Person field at once',
      `{ person(matricule: ${M}) { matricule surname givenNames birthDate birthPlace { locality country } sex
        nationalities address { street houseNumber postalCode locality commune country } civilStatus
        refugeeStatus parents { matricule } children { matricule } deathDate deathPlace nobleTitle } }`,
    ],
  ])('accepts %s', (_label, query) => {
    expect(checkValid(query)).toBeNull();
  });

  it('accepts a query without any person field', () => {
    expect(checkValid('{ __typename }')).toBeNull();
  });

  it('does not count introspection, however deep (it reads the schema only, and is off in production)', () => {
    const typeRef =
      'name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } }';
    expect(
      checkValid(
        `query($n: String!) { __type(name: $n) { name fields { name args { name type { ${typeRef} } } type { ${typeRef} } } } }`,
      ),
    ).toBeNull();
  });
});

describe('overLimit: one person field per request', () => {
  it.each([
    [
      'two person fields',
      `{ person(matricule: ${M}) { surname } person(matricule: "1990010112345") { surname } }`,
    ],
    [
      'two aliased person fields',
      `{ a: person(matricule: ${M}) { surname } b: person(matricule: ${M}) { sex } }`,
    ],
    [
      'a person field in a fragment on Query',
      `{ person(matricule: ${M}) { surname } ...Q } fragment Q on Query { other: person(matricule: ${M}) { sex } }`,
    ],
    [
      'a person field in an inline fragment on Query',
      `{ person(matricule: ${M}) { surname } ... on Query { x: person(matricule: ${M}) { sex } } }`,
    ],
    [
      'the same fragment with a person field spread twice',
      `{ ...Q ... on Query { ...Q } } fragment Q on Query { person(matricule: ${M}) { surname } }`,
    ],
  ])('refuses %s', (_label, query) => {
    expect(check(query)).toBe('at most 1 person field per request');
  });

  it('refuses a person field selected twice identically (graphql would merge them)', () => {
    expect(checkValid(`{ person(matricule: ${M}) { surname } person(matricule: ${M}) { sex } }`)).toBe(
      'at most 1 person field per request',
    );
  });

  it('counts person fields at the root only', () => {
    expect(check(`{ person(matricule: ${M}) { person { person } } }`)).toBeNull();
  });

  it('reports the person rule before every other limit', () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: surname`).join(' ');
    expect(check(`{ person(matricule: ${M}) { ${aliases} } x: person(matricule: ${M}) { sex } }`)).toBe(
      'at most 1 person field per request',
    );
  });
});

describe('overLimit: every root field at most once', () => {
  const sel = '{ surname }';
  it.each([
    [
      'ten aliased myData',
      `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: myData ${sel}`).join(' ')} }`,
      'myData',
    ],
    ['two aliased myData', `{ a: myData ${sel} b: myData { sex } }`, 'myData'],
    [
      'myData twice through a fragment on Query',
      `{ myData ${sel} ...Q } fragment Q on Query { other: myData ${sel} }`,
      'myData',
    ],
    [
      'myAccessLog twice',
      '{ a: myAccessLog(first: 1) { totalCount } b: myAccessLog(first: 2) { totalCount } }',
      'myAccessLog',
    ],
    ['myConsents twice', '{ a: myConsents { jti } b: myConsents { jti } }', 'myConsents'],
    ['myMembers twice', '{ a: myMembers { id } b: myMembers { id } }', 'myMembers'],
    [
      'withdrawConsent twice',
      'mutation { a: withdrawConsent(jti: "j1") { jti } b: withdrawConsent(jti: "j2") { jti } }',
      'withdrawConsent',
    ],
    [
      'reportAccess twice',
      'mutation { a: reportAccess(entryId: "1", text: "x") b: reportAccess(entryId: "2", text: "y") }',
      'reportAccess',
    ],
  ])('refuses %s', (_label, query, field) => {
    expect(checkValid(query)).toBe(`at most 1 ${field} field per request`);
  });

  it('accepts the citizen page operations, and different root fields together', () => {
    expect(
      checkValid(`{ myData ${sel} myConsents { jti } myMembers { id } myAccessLog { totalCount } }`),
    ).toBeNull();
    expect(checkValid(`{ m: myData ${sel} }`)).toBeNull();
  });

  it('does not count __typename or introspection at the root', () => {
    expect(checkValid(`{ __typename a: __typename myData ${sel} }`)).toBeNull();
  });
});

describe('overLimit: depth', () => {
  it('accepts the maximum depth and refuses one more', () => {
    expect(REQUEST_LIMITS.maxDepth).toBe(6);
    expect(check(nested(6))).toBeNull();
    expect(check(nested(7))).toBe('depth 7 above 6');
    expect(check(nested(12))).toBe('depth 12 above 6');
  });

  it('counts depth through fragments, which add no level of their own', () => {
    const q = `{ f1 { ...A } } fragment A on T { f2 { ... on T { f3 { ...B } } } } fragment B on T { f4 { f5 { f6 { leaf } } } }`;
    expect(check(q)).toBe('depth 7 above 6');
    const ok = `{ f1 { ...A } } fragment A on T { f2 { ... on T { f3 { ...B } } } } fragment B on T { f4 { f5 { leaf } } }`;
    expect(check(ok)).toBeNull();
  });

  it('ignores fragments that are never spread', () => {
    expect(check(`{ a } fragment Deep on T { ${nested(10).slice(1, -1)} }`)).toBeNull();
  });
});

describe('overLimit: fields', () => {
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `f${i}`).join(' ');

  it('accepts 100 fields and refuses 101 (the person field counts)', () => {
    expect(REQUEST_LIMITS.maxFields).toBe(100);
    expect(check(`{ person(matricule: ${M}) { ${fields(99)} } }`)).toBeNull();
    expect(check(`{ person(matricule: ${M}) { ${fields(100)} } }`)).toBe('101 fields above 100');
  });

  it('counts __typename and every spread of a fragment', () => {
    const frag = `fragment F on Person { ${fields(30)} }`;
    expect(check(`{ person(matricule: ${M}) { ...F ...F ...F } } ${frag}`)).toBeNull(); // 1 + 90
    expect(check(`{ person(matricule: ${M}) { ...F ...F ...F ${fields(9)} __typename } } ${frag}`)).toBe(
      '101 fields above 100',
    );
  });
});

describe('overLimit: aliases', () => {
  const aliased = (n: number): string => Array.from({ length: n }, (_, i) => `a${i}: surname`).join(' ');

  it('accepts 10 aliases and refuses 11', () => {
    expect(REQUEST_LIMITS.maxAliases).toBe(10);
    expect(checkValid(`{ person(matricule: ${M}) { ${aliased(10)} } }`)).toBeNull();
    expect(checkValid(`{ person(matricule: ${M}) { ${aliased(11)} } }`)).toBe('11 aliases above 10');
  });

  it('counts an aliased person field and aliases inside fragments', () => {
    expect(check(`{ p: person(matricule: ${M}) { ...F } } fragment F on Person { ${aliased(10)} }`)).toBe(
      '11 aliases above 10',
    );
  });
});

describe('overLimit: directives', () => {
  const included = (n: number): string =>
    Array.from({ length: n }, (_, i) => `f${i}: surname @include(if: true)`).join(' ');

  it('accepts 10 directives and refuses 11', () => {
    expect(REQUEST_LIMITS.maxDirectives).toBe(10);
    // aliases 10 -> also at its limit; 11 directives spread over 10 aliases + 1 plain field
    expect(checkValid(`{ person(matricule: ${M}) { ${included(10)} } }`)).toBeNull();
    expect(checkValid(`{ person(matricule: ${M}) { ${included(10)} sex @skip(if: false) } }`)).toBe(
      '11 directives above 10',
    );
  });

  it('counts directives on fields, inline fragments and fragment spreads', () => {
    const q = `{ person(matricule: ${M}) {
      surname @include(if: true) @skip(if: false)
      ... on Person @include(if: true) @skip(if: false) { sex @include(if: true) @skip(if: false) }
      ...F @include(if: true) @skip(if: false)
      ...F @include(if: true)
    } }
    fragment F on Person { birthDate @include(if: true) }`;
    expect(checkValid(q)).toBe('11 directives above 10');
  });
});

describe('overLimit: cost of the measurement itself', () => {
  /** F0 spreads F1 twice, F1 spreads F2 twice, ...: `levels` fragments, 2^levels expansions of the leaf. */
  function doublingChain(levels: number): string {
    const frags = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Person { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    return `{ person(matricule: ${M}) { ...F0 } }\n${frags}\nfragment F${levels} on Person { surname }`;
  }

  /** Parses `query` and counts how often the walk reads the selections of fragment `name`. */
  function countingVisits(query: string, name: string): { doc: DocumentNode; visits: () => number } {
    const doc = parse(query);
    let visits = 0;
    const definitions = doc.definitions.map((d) => {
      if (d.kind !== Kind.FRAGMENT_DEFINITION || d.name.value !== name) return d;
      const original = d.selectionSet;
      const selectionSet = {
        kind: original.kind,
        loc: original.loc,
        get selections() {
          visits++;
          return original.selections;
        },
      } as SelectionSetNode;
      return { ...d, selectionSet } as FragmentDefinitionNode;
    });
    return { doc: { ...doc, definitions }, visits: () => visits };
  }

  it('a doubling fragment chain is a small, schema-valid document within the token limit', () => {
    const q = doublingChain(40);
    expect(q.length).toBeLessThan(2000);
    // parses under Apollo's maxTokens and passes validation: only the plugin stands in its way
    expect(validate(schema, parse(q, { maxTokens: REQUEST_LIMITS.maxTokens }))).toEqual([]);
  });

  it('refuses a doubling fragment chain as too complex', () => {
    expect(check(doublingChain(8))).toBe('257 fields above 100');
  });

  it('does not walk a fragment exponentially often (bounded work for a 1 KB document)', () => {
    // With 16 levels the leaf is reached 2^16 = 65,536 times; each further level (about 10 tokens)
    // doubles the work, so the 40-level document above would block the event loop indefinitely,
    // before authentication. The walk must stop once a limit is exceeded or memoise fragments:
    // either way the leaf needs to be read at most about maxFields times.
    const { doc, visits } = countingVisits(doublingChain(16), 'F16');
    expect(overLimit(doc)).not.toBeNull();
    expect(visits()).toBeLessThanOrEqual(2 * REQUEST_LIMITS.maxFields);
  });
});

describe('requestLimitsPlugin', () => {
  async function didResolve(query: string): Promise<void> {
    const listener = await requestLimitsPlugin().requestDidStart!({} as never);
    await listener!.didResolveOperation!({ document: parse(query) } as never);
  }

  it('lets a normal document through', async () => {
    await expect(didResolve(`{ person(matricule: ${M}) { surname } }`)).resolves.toBeUndefined();
  });

  it('refuses an over-limit document with QUERY_TOO_COMPLEX (HTTP 400)', async () => {
    let err: unknown;
    try {
      await didResolve(`{ a: person(matricule: ${M}) { surname } b: person(matricule: ${M}) { surname } }`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraphQLError);
    const g = err as GraphQLError;
    expect(g.extensions.code).toBe(ErrorCode.QUERY_TOO_COMPLEX);
    expect(g.extensions.http).toEqual({ status: 400 });
    expect(g.originalError).toBeInstanceOf(BrokerError);
    expect((g.originalError as BrokerError).code).toBe(ErrorCode.QUERY_TOO_COMPLEX);
    expect(g.message).toContain('at most 1 person field per request');
  });
});
