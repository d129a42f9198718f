import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  Kind,
  buildSchema,
  parse,
  validate,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DATA_ITEMS, PERSON_FIELD_ITEMS } from '@broker/data-items';
import { selectedItems } from './selected-items';

const schema = buildSchema(
  readFileSync(path.resolve(__dirname, '../../../../contracts/schema.graphql'), 'utf8'),
);

/** All `person` field nodes reachable from the operation's root selection (as graphql-js collects them). */
function personNodes(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  return set.selections.flatMap((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value === 'person' ? [sel] : [];
    if (sel.kind === Kind.INLINE_FRAGMENT) return personNodes(sel.selectionSet, fragments);
    return personNodes(fragments[sel.name.value].selectionSet, fragments);
  });
}

/** A GraphQLResolveInfo-like object for the `person` field of `query` (checked against the real schema). */
function infoFor(query: string): Parameters<typeof selectedItems>[0] {
  const doc = parse(query);
  expect(validate(schema, doc)).toEqual([]);
  const fragments = Object.fromEntries(
    doc.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fieldNodes = personNodes(op!.selectionSet, fragments);
  expect(fieldNodes.length).toBeGreaterThan(0);
  return { fieldNodes, fragments };
}

const items = (query: string): string[] => selectedItems(infoFor(query));
const M = '"1980010112345"';

describe('selectedItems', () => {
  it('maps plain fields to their data items', () => {
    expect(items(`{ person(matricule: ${M}) { surname } }`)).toEqual(['name']);
    expect(items(`{ person(matricule: ${M}) { surname givenNames birthDate sex } }`)).toEqual([
      'name',
      'birth',
      'sex',
    ]);
    expect(items(`{ person(matricule: ${M}) { deathPlace nobleTitle refugeeStatus civilStatus } }`)).toEqual([
      'civilStatus',
      'refugeeStatus',
      'death',
      'nobleTitle',
    ]);
  });

  it('maps every Person field of the published schema, and all of them together to every item', () => {
    const person = schema.getType('Person') as GraphQLObjectType;
    const personFields = person.getFields();
    const fields = Object.keys(personFields);
    expect(fields.sort()).toEqual(Object.keys(PERSON_FIELD_ITEMS).sort());
    const selection = fields
      .map((f) => {
        const type = personFields[f].type.toString().replace(/[[\]!]/g, '');
        const sub = {
          Address: '{ street }',
          Place: '{ locality }',
          RelatedPerson: '{ matricule }',
          Affiliation: '{ status }',
          BusinessRole: '{ role }',
        }[type];
        return sub ? `${f} ${sub}` : f;
      })
      .join(' ');
    expect(items(`{ person(matricule: ${M}) { ${selection} } }`)).toEqual([...DATA_ITEMS]);
  });

  it('maps each object field once, whatever sub-fields are selected under it', () => {
    expect(
      items(
        `{ person(matricule: ${M}) { address { street houseNumber postalCode locality commune country } } }`,
      ),
    ).toEqual(['address']);
    expect(items(`{ person(matricule: ${M}) { birthPlace { locality country } } }`)).toEqual(['birth']);
  });

  it('does not count the matricule of related persons as the subject data, but counts filiation', () => {
    expect(items(`{ person(matricule: ${M}) { parents { matricule } children { matricule } } }`)).toEqual([
      'filiation',
    ]);
  });

  it('needs no item for matricule and __typename', () => {
    expect(items(`{ person(matricule: ${M}) { matricule } }`)).toEqual([]);
    expect(items(`{ person(matricule: ${M}) { __typename matricule } }`)).toEqual([]);
    expect(items(`{ person(matricule: ${M}) { __typename surname } }`)).toEqual(['name']);
  });

  it('follows named fragments, nested fragments and fragments used twice', () => {
    expect(
      items(`
        query Q { person(matricule: ${M}) { ...Identity ...Identity matricule } }
        fragment Identity on Person { surname ...Birth }
        fragment Birth on Person { birthDate birthPlace { ...PlaceParts } }
        fragment PlaceParts on Place { locality }
      `),
    ).toEqual(['name', 'birth']);
  });

  it('follows a fragment defined before the operation', () => {
    expect(
      items(`
        fragment A on Person { address { street } }
        query { person(matricule: ${M}) { ...A } }
      `),
    ).toEqual(['address']);
  });

  it('follows inline fragments, with and without type condition', () => {
    expect(
      items(
        `{ person(matricule: ${M}) { ... on Person { sex } ... { nationalities ... on Person { deathDate } } } }`,
      ),
    ).toEqual(['sex', 'nationality', 'death']);
  });

  it('counts fields under @include / @skip as selected (the safe side)', () => {
    expect(
      items(`query($no: Boolean = false) { person(matricule: ${M}) {
        surname @include(if: $no)
        ... on Person @skip(if: true) { sex }
        ...F @include(if: false)
      } }
      fragment F on Person { civilStatus }`),
    ).toEqual(['name', 'sex', 'civilStatus']);
  });

  it('counts aliased fields under their real name', () => {
    expect(items(`{ person(matricule: ${M}) { family: surname where: address { street } } }`)).toEqual([
      'name',
      'address',
    ]);
  });

  it('removes duplicates and returns the catalogue order', () => {
    expect(
      items(`{ person(matricule: ${M}) {
        nobleTitle surname givenNames surname a: surname deathDate deathPlace birthDate address { street } sex
        ... on Person { surname address { country } }
      } }`),
    ).toEqual(['name', 'birth', 'sex', 'address', 'death', 'nobleTitle']);
  });

  it('merges the selections of several field nodes of the same person field', () => {
    expect(
      items(`{ person(matricule: ${M}) { surname } ... on Query { person(matricule: ${M}) { sex } } }`),
    ).toEqual(['name', 'sex']);
  });

  it('follows a fragment in the second field node even when spread in the first', () => {
    expect(
      items(`{ person(matricule: ${M}) { ...F } ...Q }
        fragment Q on Query { person(matricule: ${M}) { ...F sex } }
        fragment F on Person { surname }`),
    ).toEqual(['name', 'sex']);
  });

  it('ignores fragments that are defined but not spread', () => {
    const doc = parse(`{ person(matricule: ${M}) { surname } } fragment Unused on Person { nobleTitle }`);
    const op = doc.definitions[0] as OperationDefinitionNode;
    const unused = doc.definitions[1] as FragmentDefinitionNode;
    expect(
      selectedItems({
        fieldNodes: [op.selectionSet.selections[0] as FieldNode],
        fragments: { Unused: unused },
      }),
    ).toEqual(['name']);
  });

  it('returns nothing for a node without selection set or an unknown fragment', () => {
    const doc = parse(`{ person(matricule: ${M}) { ...Missing surname } }`);
    const op = doc.definitions[0] as OperationDefinitionNode;
    const node = op.selectionSet.selections[0] as FieldNode;
    expect(selectedItems({ fieldNodes: [node], fragments: {} })).toEqual(['name']);
    const bare = parse(`{ person(matricule: ${M}) }`).definitions[0] as OperationDefinitionNode;
    expect(
      selectedItems({ fieldNodes: [bare.selectionSet.selections[0] as FieldNode], fragments: {} }),
    ).toEqual([]);
  });
});
