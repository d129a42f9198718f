import { Controller, Get, Header, Headers, Inject, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AccessReportsService, type AccessReport } from '@broker/citizen';
import { StaffAuthenticatorService } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';

/** Auditors read the accesses citizens flagged (same staff tokens as the other /audit endpoints). */
@Controller('audit')
export class AccessReportsController {
  constructor(
    @Inject(StaffAuthenticatorService) private readonly staff: StaffAuthenticatorService,
    @Inject(AccessReportsService) private readonly reports: AccessReportsService,
  ) {}

  /** `{ reports: [...], next }`, oldest first; `after` (a report id) and `limit` (1..1000, default 100) page it. */
  @Get('reports')
  @Header('cache-control', 'no-store')
  async list(
    @Headers('authorization') authorization: string | undefined,
    @Query('after') after: unknown,
    @Query('limit') limit: unknown,
    @Req() req: FastifyRequest,
  ): Promise<{ reports: AccessReport[]; next: string | null }> {
    const auditor = await this.staff.authenticateAuditor(authorization);
    if (
      (after !== undefined && typeof after !== 'string') ||
      (limit !== undefined && typeof limit !== 'string')
    )
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'after and limit are given at most once.');
    if (limit !== undefined && !/^[0-9]{1,4}$/.test(limit))
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'limit is an integer in 1..1000.');
    const correlationId = (req as FastifyRequest & { correlationId: string }).correlationId;
    const page = await this.reports.list(
      auditor,
      after as string | undefined,
      limit === undefined ? undefined : Number(limit),
      correlationId,
    );
    return { reports: page.reports, next: page.next };
  }
}
