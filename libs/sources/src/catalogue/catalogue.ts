import { CCSS_CATALOGUE } from '../ccss/ccss.catalogue';
import { RCS_CATALOGUE } from '../rcs/rcs.catalogue';
import { RNPP_CATALOGUE } from '../rnpp/rnpp.catalogue';
import { SourceRegistry } from './source-registry';

/**
 * Every authentic source the broker knows, in the order their items are listed everywhere.
 * Adding a register: its descriptor here, its adapter in SOURCE_ADAPTERS (sources.module.ts); every
 * step in docs/sources.md, "Adding a register, step by step".
 */
export const SOURCE_DESCRIPTORS = [RNPP_CATALOGUE, CCSS_CATALOGUE, RCS_CATALOGUE] as const;

/** A data item: the vocabulary of consent scopes and member grants, across every source. */
export type DataItem = (typeof SOURCE_DESCRIPTORS)[number]['items'][number]['name'];

/** The one registry, built at load: a duplicate item or field throws here, so at boot. */
export const SOURCE_REGISTRY = new SourceRegistry(SOURCE_DESCRIPTORS);
