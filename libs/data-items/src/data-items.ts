import type { RnppField } from '../../sources/src/rnpp/rnpp-person';

/**
 * The vocabulary of consent scopes and member grants: each data item names a group of register
 * fields that are always disclosed together. `matricule` is the query's own input and needs none.
 */
export const DATA_ITEMS = [
  'name',
  'birth',
  'sex',
  'nationality',
  'address',
  'civilStatus',
  'refugeeStatus',
  'filiation',
  'death',
  'nobleTitle',
] as const;
export type DataItem = (typeof DATA_ITEMS)[number];

/** True when `s` is a data-item name. */
export function isDataItem(s: unknown): s is DataItem {
  return typeof s === 'string' && (DATA_ITEMS as readonly string[]).includes(s);
}

/** GraphQL `Person` field -> the data item it discloses (null: needs no item). */
export const PERSON_FIELD_ITEMS: Record<string, DataItem | null> = {
  matricule: null,
  surname: 'name',
  givenNames: 'name',
  birthDate: 'birth',
  birthPlace: 'birth',
  sex: 'sex',
  nationalities: 'nationality',
  address: 'address',
  civilStatus: 'civilStatus',
  refugeeStatus: 'refugeeStatus',
  parents: 'filiation',
  children: 'filiation',
  deathDate: 'death',
  deathPlace: 'death',
  nobleTitle: 'nobleTitle',
};

/** Data item -> the register fields fetched for it (only these leave the register). */
export const ITEM_RNPP_FIELDS: Record<DataItem, RnppField[]> = {
  name: ['surname', 'givenNames'],
  birth: ['birthDate', 'birthPlace'],
  sex: ['sex'],
  nationality: ['nationalities'],
  address: ['address'],
  civilStatus: ['civilStatus'],
  refugeeStatus: ['refugeeStatus'],
  filiation: ['parents', 'children'],
  death: ['deathDate', 'deathPlace'],
  nobleTitle: ['nobleTitle'],
};

/** Sorts items in catalogue order and removes duplicates (stable log and hash input). */
export function normaliseItems(items: Iterable<DataItem>): DataItem[] {
  const set = new Set(items);
  return DATA_ITEMS.filter((i) => set.has(i));
}
