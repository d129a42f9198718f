import { Query, Resolver } from '@nestjs/graphql';
import { sourceViews } from '@broker/citizen';
import { SourceView } from './citizen.model';

/**
 * The catalogue of registers, for the citizen page (which names each register in words without
 * knowing any) and anyone else. Public, unlike every other operation: it says nothing about a
 * person, only what contracts/data-items.md already publishes.
 */
@Resolver()
export class SourcesResolver {
  @Query(() => [SourceView], {
    description:
      'The registers (authentic sources) the broker reads, in catalogue order, with their names in the four languages of the citizen page and their data items. Needs no token.',
  })
  sources(): SourceView[] {
    return sourceViews();
  }
}
