import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DATA_ITEMS } from '@broker/data-items';
import { Person } from '../person/person.model';

/** The data items as a GraphQL enum: the same names as the consent scope and the grants. */
export const DataItemEnum = Object.fromEntries(DATA_ITEMS.map((i) => [i, i])) as Record<string, string>;
registerEnumType(DataItemEnum, {
  name: 'DataItem',
  description:
    'A data item of an authentic source (RNPP, CCSS, RCS), as named in consent scopes and grants (contracts/data-items.md).',
});

export enum BatchJobState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}
registerEnumType(BatchJobState, {
  name: 'BatchJobState',
  description:
    'QUEUED: no item processed yet; RUNNING; COMPLETED: every item answered (data or a coded error); FAILED: every item answered but source failures left nothing released.',
});

@InputType({ description: 'One citizen of a batch, with the consent that covers them.' })
export class PersonRequestInput {
  @Field(() => ID, { description: '13-digit national identification number.' })
  matricule!: string;
  @Field(() => String, {
    description: 'The consent token (typ consent+jwt) for this citizen, as for the Consent-Token header.',
  })
  consentToken!: string;
}

@InputType({
  description:
    'A request for the same data items about many citizens (at most BATCH_MAX_ITEMS, 10,000 by default).',
})
export class PersonBatchInput {
  @Field(() => String, {
    description: "The purpose (procedure code); each consent's purpose must be this one.",
  })
  purpose!: string;
  @Field(() => [DataItemEnum], { description: 'The data items wanted for every citizen.' })
  items!: string[];
  @Field(() => [PersonRequestInput])
  requests!: PersonRequestInput[];
  @Field(() => String, {
    nullable: true,
    description: 'Resubmitting with the same key returns the same job (1 to 200 characters, per member).',
  })
  idempotencyKey?: string | null;
}

@ObjectType({ description: 'Why an item was not answered with data.' })
export class BatchError {
  @Field(() => String, {
    description: 'A code of contracts/error-codes.md (the synchronous path uses the same).',
  })
  code!: string;
  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'The answer for one request of a batch.' })
export class BatchResult {
  @Field(() => Int, { description: 'Position of the request in the submitted list (0-based).' })
  index!: number;
  @Field(() => ID)
  matricule!: string;
  @Field(() => Person, { nullable: true, description: 'The released data: only the items of the job.' })
  person?: Record<string, unknown> | null;
  @Field(() => BatchError, { nullable: true, description: 'Set when the item was refused or failed.' })
  error?: BatchError | null;
}

@ObjectType({ description: 'An asynchronous fetch, readable only by the member that submitted it.' })
export class BatchJob {
  @Field(() => ID)
  id!: string;
  @Field(() => BatchJobState)
  state!: BatchJobState;
  @Field(() => Int, { description: 'Number of requests.' })
  total!: number;
  @Field(() => Int, { description: 'Items released with data.' })
  succeeded!: number;
  @Field(() => Int, {
    description: 'Items refused (consent, policy, unknown person), at submission or at release.',
  })
  refused!: number;
  @Field(() => Int, { description: 'Items dead-lettered after the source kept failing.' })
  failed!: number;
  @Field(() => String)
  purpose!: string;
  @Field(() => [DataItemEnum])
  items!: string[];
  @Field(() => Date)
  createdAt!: Date;
  @Field(() => Date, { nullable: true })
  startedAt?: Date | null;
  @Field(() => Date, { nullable: true })
  completedAt?: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the job and its results will be purged.' })
  purgeAfter?: Date | null;
}
