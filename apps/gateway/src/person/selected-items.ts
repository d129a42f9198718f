import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { PERSON_FIELD_ITEMS, normaliseItems, type DataItem } from '@broker/data-items';

/**
 * The data items a `person` selection touches, following fragments. Fields under
 * `@include`/`@skip` count as selected: asking for consent to what might be shown is the safe side.
 */
export function selectedItems(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): DataItem[] {
  const items = new Set<DataItem>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): void => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        // fail closed: a Person field added without a data item must not leave unguarded
        if (!(name in PERSON_FIELD_ITEMS) && !name.startsWith('__'))
          throw new Error(`Person.${name} has no data item`);
        const item = PERSON_FIELD_ITEMS[name];
        if (item) items.add(item);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet);
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        walk((info.fragments[sel.name.value] as FragmentDefinitionNode | undefined)?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return normaliseItems(items);
}
