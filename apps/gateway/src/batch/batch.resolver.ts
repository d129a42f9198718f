import { Inject, UseGuards, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import {
  Args,
  GqlExecutionContext,
  ID,
  Int,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import {
  BatchQueryService,
  BatchSubmissionService,
  batchAccessContext,
  type BatchAccessContext,
  type BatchResultView,
  type StoredJob,
} from '@broker/batch';
import type { DataItem } from '@broker/data-items';
import type { GatewayContext } from '../graphql/gateway-context';
import { MemberAuthGuard } from '../person/member-auth.guard';
import { BatchJob, BatchResult, PersonBatchInput } from './batch.model';

/** The explicit access context of a member's batch request (after MemberAuthGuard). */
const BatchAccess = createParamDecorator((_: unknown, context: ExecutionContext): BatchAccessContext => {
  const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
  if (!ctx.member) throw new Error('BatchAccess used without MemberAuthGuard');
  return batchAccessContext(ctx.member, ctx.correlationId);
});

/** Thin transport for asynchronous fetches: the member comes from MemberAuthGuard, the rest from the batch services. */
@Resolver(() => BatchJob)
@UseGuards(MemberAuthGuard)
export class BatchResolver {
  constructor(
    @Inject(BatchSubmissionService) private readonly submissions: BatchSubmissionService,
    @Inject(BatchQueryService) private readonly jobs: BatchQueryService,
  ) {}

  @Mutation(() => BatchJob, {
    description:
      'Submits a fetch for many citizens and returns the job at once. Each request is checked now: a bad one is refused (and logged) at once, with its code in results; the others are fetched asynchronously, checked again at release, and logged (channel async) when released.',
  })
  async submitPersonBatch(
    @Args('input', { type: () => PersonBatchInput }) input: PersonBatchInput,
    @BatchAccess() access: BatchAccessContext,
  ): Promise<StoredJob> {
    return this.submissions.submit(access, {
      purpose: input.purpose,
      items: input.items as DataItem[],
      requests: input.requests,
      idempotencyKey: input.idempotencyKey,
    });
  }

  @Query(() => BatchJob, {
    nullable: true,
    description: "A job of the calling member, with counts and results; another member's job is NOT_FOUND.",
  })
  async batchJob(
    @Args('id', { type: () => ID }) id: string,
    @BatchAccess() access: BatchAccessContext,
  ): Promise<StoredJob> {
    return this.jobs.job(access, id);
  }

  @ResolveField(() => [BatchResult], {
    description:
      'Results in submission order from `offset` (default 0), at most `limit` (default 100, max 1,000).',
  })
  async results(
    @Parent() job: StoredJob,
    @Args('offset', { type: () => Int, nullable: true }) offset: number | null,
    @Args('limit', { type: () => Int, nullable: true }) limit: number | null,
  ): Promise<BatchResultView[]> {
    return this.jobs.results(job, offset ?? 0, limit ?? 100);
  }
}
