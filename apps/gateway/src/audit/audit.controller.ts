import { Readable } from 'node:stream';
import {
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AuditExportService,
  BrokerSigner,
  EXPORT_CONTENT_TYPES,
  ExportJobsService,
  type ExportFilter,
  type ExportFormat,
  type ExportJobStatus,
  type ExportRequest,
} from '@broker/audit';
import { StaffAuthenticatorService } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { checkMatricule } from '@broker/matricule';

type Query = Record<string, string | string[] | undefined>;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw new BrokerError(ErrorCode.BAD_REQUEST, `${name} is given more than once.`);
  return v === '' ? undefined : v;
}

function instant(q: Query, name: string): string | undefined {
  const v = one(q, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BrokerError(ErrorCode.BAD_REQUEST, `${name} is not an ISO 8601 date-time.`);
  return new Date(t).toISOString();
}

/** Validates the export query into a filter (no undefined keys) and a format. */
export function parseExportQuery(q: Query): { filter: ExportFilter; format: ExportFormat } {
  const filter: ExportFilter = {};
  const from = instant(q, 'from');
  const to = instant(q, 'to');
  if (from) filter.from = from;
  if (to) filter.to = to;
  for (const name of ['memberId', 'purpose'] as const) {
    const v = one(q, name);
    if (v !== undefined) {
      if (!ID.test(v)) throw new BrokerError(ErrorCode.BAD_REQUEST, `${name} is not a valid identifier.`);
      filter[name] = v;
    }
  }
  const subject = one(q, 'subject');
  if (subject !== undefined) {
    const checked = checkMatricule(subject);
    if (!checked.valid)
      throw new BrokerError(ErrorCode.INVALID_MATRICULE, 'subject is not a valid matricule.');
    filter.subject = checked.matricule;
  }
  const outcome = one(q, 'outcome');
  if (outcome !== undefined) {
    if (outcome !== 'DISCLOSED' && outcome !== 'REFUSED')
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'outcome is DISCLOSED or REFUSED.');
    filter.outcome = outcome;
  }
  const format = one(q, 'format') ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv')
    throw new BrokerError(ErrorCode.BAD_REQUEST, 'format is ndjson or csv.');
  return { filter, format };
}

/**
 * Auditor endpoints (thin: authenticate, validate, call the export service) and the broker's
 * public keys. The manifest is a separate request with the same query plus the `headSeq` that
 * the export answered in `X-Audit-Head-Seq`, so that both describe the same cut of the chain.
 */
@Controller()
export class AuditController {
  constructor(
    @Inject(StaffAuthenticatorService) private readonly staff: StaffAuthenticatorService,
    @Inject(AuditExportService) private readonly exports: AuditExportService,
    @Inject(BrokerSigner) private readonly signer: BrokerSigner,
    @Inject(ExportJobsService) private readonly jobs: ExportJobsService,
  ) {}

  @Get('.well-known/jwks.json')
  @Header('cache-control', 'public, max-age=300')
  jwks(): object {
    return this.signer.jwks();
  }

  @Get('audit/export')
  async export(
    @Headers('authorization') authorization: string | undefined,
    @Query() q: Query,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const request = await this.auditorRequest(authorization, q, req);
    const { filter, format } = request;
    const headSeq = await this.exports.startExport(request);
    const total = await this.exports.count(filter, headSeq);
    void reply
      .status(200)
      .header('content-type', EXPORT_CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="access-log-${headSeq}.${format}"`)
      .header('x-audit-head-seq', headSeq.toString())
      .header('x-audit-entries', String(total))
      .header('cache-control', 'no-store')
      // a byte stream (not object mode): it pulls the next page only once the last is mostly sent
      .send(Readable.from(this.exports.body(filter, format, headSeq), { objectMode: false }));
  }

  @Get('audit/export/manifest')
  async manifest(
    @Headers('authorization') authorization: string | undefined,
    @Query() q: Query,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const raw = one(q, 'headSeq');
    if (raw !== undefined && !/^[0-9]{1,19}$/.test(raw)) {
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'headSeq is a sequence number.');
    }
    const request = await this.auditorRequest(authorization, q, req);
    const jws = await this.exports.manifest(request, raw === undefined ? undefined : BigInt(raw));
    void reply
      .status(200)
      .header('content-type', 'application/jose')
      .header('cache-control', 'no-store')
      .send(jws);
  }

  /** Queues a large export (BullMQ); answers 202 with the job's status. */
  @Post('audit/export/jobs')
  @HttpCode(202)
  async submitJob(
    @Headers('authorization') authorization: string | undefined,
    @Query() q: Query,
    @Req() req: FastifyRequest,
  ): Promise<ExportJobStatus> {
    const { auditor, filter, format, correlationId } = await this.auditorRequest(authorization, q, req);
    return this.jobs.submit(auditor, filter, format, correlationId);
  }

  /** State and progress of an export job; download links once it is done. */
  @Get('audit/export/jobs/:id')
  async jobStatus(
    @Headers('authorization') authorization: string | undefined,
    @Param('id') id: string,
  ): Promise<ExportJobStatus> {
    const auditor = await this.staff.authenticateAuditor(authorization);
    return this.jobs.status(auditor, id);
  }

  /** A job's file, for the auditor who submitted it (Bearer token; each download is an access-log entry). */
  @Get('audit/export/jobs/:id/file')
  async downloadFile(
    @Headers('authorization') authorization: string | undefined,
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.download(authorization, id, 'file', req, reply);
  }

  /** A job's signed manifest, likewise. */
  @Get('audit/export/jobs/:id/manifest')
  async downloadManifest(
    @Headers('authorization') authorization: string | undefined,
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.download(authorization, id, 'manifest', req, reply);
  }

  private async download(
    authorization: string | undefined,
    id: string,
    kind: 'file' | 'manifest',
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const auditor = await this.staff.authenticateAuditor(authorization);
    const correlationId = (req as FastifyRequest & { correlationId: string }).correlationId;
    const { stream, format, name } = await this.jobs.download(auditor, id, kind, correlationId);
    void reply
      .status(200)
      .header('content-type', format === 'manifest' ? 'application/jose' : EXPORT_CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  }

  /** Authenticates the auditor and validates the query, within the token's members restriction. */
  private async auditorRequest(
    authorization: string | undefined,
    q: Query,
    req: FastifyRequest,
  ): Promise<ExportRequest> {
    const auditor = await this.staff.authenticateAuditor(authorization);
    const { filter, format } = this.scoped(parseExportQuery(q), auditor.members);
    return {
      auditor,
      filter,
      format,
      correlationId: (req as FastifyRequest & { correlationId: string }).correlationId,
    };
  }

  /** Applies the token's members restriction; asking for a member outside it is FORBIDDEN. */
  private scoped(p: { filter: ExportFilter; format: ExportFormat }, members: string[] | undefined) {
    if (!members) return p;
    if (p.filter.memberId && !members.includes(p.filter.memberId)) {
      throw new BrokerError(ErrorCode.FORBIDDEN, 'This auditor may not see that member.');
    }
    return { ...p, filter: { ...p.filter, members: [...members] } };
  }
}
