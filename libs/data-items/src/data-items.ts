import { SOURCE_REGISTRY, type DataItem } from '../../sources/src/catalogue/catalogue';

export type { DataItem };
export { SOURCE_REGISTRY };

/**
 * The vocabulary of consent scopes and member grants, derived from the source catalogue
 * (libs/sources/src/catalogue): each data item names a group of fields of one register that are
 * always disclosed together. `matricule` is the query's own input and needs none.
 */
export const DATA_ITEMS = SOURCE_REGISTRY.items as readonly DataItem[];

/** True when `s` is a data-item name. */
export function isDataItem(s: unknown): s is DataItem {
  return SOURCE_REGISTRY.isItem(s);
}

/** GraphQL `Person` field -> the data item it discloses (null: needs no item). */
export const PERSON_FIELD_ITEMS: Readonly<Record<string, DataItem | null>> = Object.fromEntries(
  SOURCE_REGISTRY.fieldItemEntries(),
) as Record<string, DataItem | null>;

/** Sorts items in catalogue order and removes duplicates (stable log and hash input). */
export function normaliseItems(items: Iterable<DataItem>): DataItem[] {
  return SOURCE_REGISTRY.normalise(items) as DataItem[];
}
