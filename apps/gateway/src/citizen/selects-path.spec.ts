import {
  Kind,
  parse,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import { selectsPath } from './selects-path';

function infoOf(query: string) {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  return { fieldNodes: [op.selectionSet.selections[0] as FieldNode], fragments };
}

describe('selectsPath', () => {
  const path = ['edges', 'node', 'proof'];
  it('finds a field selected directly, through an inline fragment and through a named fragment', () => {
    expect(selectsPath(infoOf('{ myAccessLog { edges { node { id proof } } } }'), path)).toBe(true);
    expect(selectsPath(infoOf('{ myAccessLog { edges { node { ... on X { proof } } } } }'), path)).toBe(true);
    expect(
      selectsPath(infoOf('{ myAccessLog { edges { ...E } } } fragment E on Edge { node { proof } }'), path),
    ).toBe(true);
  });
  it('is false when the field is not selected, or selected elsewhere', () => {
    expect(selectsPath(infoOf('{ myAccessLog { edges { node { id } } } }'), path)).toBe(false);
    expect(selectsPath(infoOf('{ myAccessLog { totalCount } }'), path)).toBe(false);
    expect(selectsPath(infoOf('{ myAccessLog { edges { cursor proof: cursor } } }'), path)).toBe(false);
  });
});
