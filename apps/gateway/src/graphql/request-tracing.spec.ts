import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { rootFields } from './request-tracing';

const op = (doc: string): OperationDefinitionNode =>
  parse(doc).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;

describe('rootFields (what a request span says was asked)', () => {
  it("names the schema's root fields, not the client's operation name or aliases", () => {
    expect(rootFields(op('query Q1980010112345 { x: person(matricule: "1") { surname } }'))).toBe('person');
    expect(rootFields(op('mutation { submitPersonBatch(input: {}) { id } }'))).toBe('submitPersonBatch');
  });

  it('lists several root fields once each, sorted', () => {
    expect(rootFields(op('{ sources { name } myData { surname } a: sources { name } }'))).toBe(
      'myData,sources',
    );
  });

  it('says none for a selection of fragments only', () => {
    expect(rootFields(op('query { ...F } fragment F on Query { sources { name } }'))).toBe('none');
  });
});
