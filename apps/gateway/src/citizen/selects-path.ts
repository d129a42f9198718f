import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * True when the query selects `path` (field names, e.g. edges > node > proof) under the current
 * field, through fragments too: costly fields are computed only when asked for.
 */
export function selectsPath(
  info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>,
  path: readonly string[],
): boolean {
  const fields = (set: SelectionSetNode | undefined, name: string, seen: Set<string>): SelectionSetNode[] => {
    const out: SelectionSetNode[] = [];
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value === name)
          out.push(sel.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] });
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        out.push(...fields(sel.selectionSet, name, seen));
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const frag = info.fragments[sel.name.value] as FragmentDefinitionNode | undefined;
        out.push(...fields(frag?.selectionSet, name, seen));
      }
    }
    return out;
  };
  let sets = info.fieldNodes.map((n) => n.selectionSet).filter((s): s is SelectionSetNode => !!s);
  for (const name of path) {
    sets = sets.flatMap((s) => fields(s, name, new Set()));
    if (sets.length === 0) return false;
  }
  return true;
}
