import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { codeLabel, operationLabel } from './request-metrics.plugin';

const schema = buildSchema(`
  type Query { person(matricule: ID!): String, myData: String }
  type Mutation { withdrawConsent(id: ID!): Boolean }
`);

function op(text: string): OperationDefinitionNode {
  return parse(text).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
}

describe('operationLabel', () => {
  it("names the operation's first top-level field when the schema has it (aliases do not count)", () => {
    expect(operationLabel(schema, op('{ person(matricule: "1") }'))).toBe('person');
    expect(operationLabel(schema, op('query Q { anything: myData }'))).toBe('myData');
    expect(operationLabel(schema, op('mutation { withdrawConsent(id: "x") }'))).toBe('withdrawConsent');
  });

  it('is "other" for what a client could vary: unknown fields, introspection, root fragments, no operation', () => {
    expect(operationLabel(schema, op('{ x1893120105732 }'))).toBe('other');
    expect(operationLabel(schema, op('{ __schema { types { name } } }'))).toBe('other');
    expect(operationLabel(schema, op('mutation { person(matricule: "1") }'))).toBe('other');
    expect(operationLabel(schema, op('{ ...F } fragment F on Query { myData }'))).toBe('other');
    expect(operationLabel(schema, undefined)).toBe('other');
  });
});

describe('codeLabel', () => {
  it('is OK without errors, else the first error code', () => {
    expect(codeLabel(undefined)).toBe('OK');
    expect(codeLabel([])).toBe('OK');
    expect(codeLabel([{ extensions: { code: 'CONSENT_EXPIRED' } }, { extensions: { code: 'X' } }])).toBe(
      'CONSENT_EXPIRED',
    );
  });

  it('never takes a value that is not a code as a label', () => {
    expect(codeLabel([{ extensions: { code: '1893120105732' } }])).toBe('INTERNAL_ERROR');
    expect(codeLabel([{ extensions: {} }])).toBe('INTERNAL_ERROR');
    expect(codeLabel([{}])).toBe('INTERNAL_ERROR');
  });
});
