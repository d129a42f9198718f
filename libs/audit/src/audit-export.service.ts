import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AccessLogAppender,
  AccessLogRepository,
  accessEntry,
  canonicalJson,
  type AccessContext,
  type ExportChunk,
  type ExportChunkText,
} from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import type { Auditor } from '@broker/consent';
import { LogTreeRepository } from '@broker/log-tree';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { BrokerSigner } from './broker-signer';
import { CheckpointService } from './checkpoint.service';
import { TlogAnchorBuilder, publishedCheckpointCovering } from './export-anchor';
import { ExportSummaries, ExportTally, type ExportSummary } from './export-summary';
import {
  csvHeader,
  type ExportFilter,
  type ExportFormat,
  type ManifestClaims,
  type TlogAnchor,
} from './export-format';

/**
 * Entries per keyset page: PostgreSQL writes a page's lines as one string (about 5 MB of NDJSON),
 * and the next page is read while this one is sent.
 */
export const EXPORT_PAGE = 10_000;
/** Pages PostgreSQL writes at once for one export (each on its own connection). */
export const EXPORT_PAGES_IN_FLIGHT = 2;

/** An auditor's action on the log, recorded as the purpose of its entry. */
export type AuditAction = 'AUDIT-EXPORT' | 'AUDIT-MANIFEST' | 'AUDIT-DOWNLOAD';

/** What an auditor asks for, once validated. */
export interface ExportRequest {
  auditor: Auditor;
  filter: ExportFilter;
  format: ExportFormat;
  correlationId: string;
}

/**
 * Auditor exports of the access log: streamed in keyset pages (memory stays flat whatever the
 * size), cut at a chain head fixed when the export starts, with a signed manifest over the same
 * cut. PostgreSQL writes the lines (exportChunk), a page per row; the digest, count and leaf runs
 * the manifest states are summed while the export streams, so the manifest of an export this
 * gateway just sent is signed without reading the entries again (ExportSummaries). Every auditor action is itself an access-log entry (channel `audit`), durable before any
 * data leaves.
 */
@Injectable()
export class AuditExportService {
  private readonly summaries = new ExportSummaries();

  constructor(
    @Inject(AccessLogRepository) private readonly repo: AccessLogRepository,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
    @Inject(CheckpointService) private readonly checkpoints: CheckpointService,
    @Inject(BrokerSigner) private readonly signer: BrokerSigner,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(LogTreeRepository) private readonly tree: LogTreeRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Logs the export (of export job `jobId`, if any) and fixes its cut: entries up to the returned head seq are exported. */
  async startExport(req: ExportRequest, jobId: string | null = null): Promise<bigint> {
    const head = await this.checkpoints.head();
    await this.logAction(req, 'AUDIT-EXPORT', head.seq, jobId);
    return head.seq;
  }

  /** Logs the download of an export job's file or manifest (before any byte of it leaves). */
  async logDownload(
    req: ExportRequest,
    headSeq: bigint,
    jobId: string,
    kind: 'file' | 'manifest',
  ): Promise<void> {
    await this.logAction(req, 'AUDIT-DOWNLOAD', headSeq, jobId, { download: kind });
  }

  /** The export body, chunk by chunk (a header row first for CSV). */
  async *body(filter: ExportFilter, format: ExportFormat, headSeq: bigint): AsyncGenerator<string> {
    if (format === 'csv') yield csvHeader();
    const tally = new ExportTally();
    for await (const chunk of this.chunks(filter, headSeq, format)) {
      tally.add(chunk);
      yield chunk.text;
    }
    // only an export sent to its end: its manifest needs no second walk
    this.summaries.put(filter, headSeq, tally.finish());
  }

  /** How many entries of the cut match the filter. */
  count(filter: ExportFilter, headSeq: bigint): Promise<number> {
    return this.repo.exportCount(filter, headSeq);
  }

  /**
   * Logs the manifest request and signs the manifest of the export cut at `headSeq` (default: the
   * head now). The manifest is anchored in the transparency log: the latest published checkpoint
   * once it covers the cut (waiting up to LOG_PUBLISH_MAX_DELAY_MS for one), with the multi-leaf
   * proof of the exported entries in its tree; or, when none covers the cut in time, the reason.
   */
  async manifest(
    req: ExportRequest,
    headSeq: bigint | undefined,
    jobId: string | null = null,
  ): Promise<string> {
    const head = await this.checkpoints.head();
    const cut = headSeq !== undefined && headSeq <= head.seq ? headSeq : head.seq;
    await this.logAction(req, 'AUDIT-MANIFEST', cut, jobId);
    const published =
      cut > 0n
        ? await publishedCheckpointCovering(this.tree, cut, this.config.transparencyLog.publishMaxDelayMs)
        : null;
    const anchor = published ? new TlogAnchorBuilder(published) : null;
    const digest = this.summaries.get(req.filter, cut) ?? (await this.summarise(req.filter, cut));
    anchor?.pushRuns(digest.runs);
    const tlog: TlogAnchor = anchor
      ? await anchor.finish(this.tree)
      : {
          checkpoint: null,
          reason:
            cut > 0n
              ? `no published (cosigned) checkpoint covered seq ${cut} within ` +
                `${this.config.transparencyLog.publishMaxDelayMs} ms`
              : 'the access log was empty when the export was cut',
        };
    const claims: ManifestClaims = {
      iss: this.trust.brokerId,
      sub: req.auditor.id,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      format: req.format,
      filter: req.filter,
      headSeq: cut.toString(),
      count: digest.count,
      firstSeq: digest.firstSeq,
      lastSeq: digest.lastSeq,
      complete: digest.complete,
      digest: digest.digest,
      checkpoint: cut > 0n ? await this.checkpoints.checkpointAt(cut) : null,
      tlog,
    };
    return this.signer.sign(claims, 'audit-manifest+jwt');
  }

  /** The manifest's sums of an export this gateway did not just send: a walk of hashes only. */
  private async summarise(filter: ExportFilter, headSeq: bigint): Promise<ExportSummary> {
    const tally = new ExportTally();
    for await (const chunk of this.chunks(filter, headSeq, null)) tally.add(chunk);
    const summary = tally.finish();
    this.summaries.put(filter, headSeq, summary);
    return summary;
  }

  /**
   * The export's keyset pages, as PostgreSQL writes them, in order. Each page's end is found
   * first (a light query on the keys), so that up to EXPORT_PAGES_IN_FLIGHT pages are written at
   * once on their own connections while the caller handles the one before.
   */
  private async *chunks(
    filter: ExportFilter,
    headSeq: bigint,
    text: ExportChunkText,
  ): AsyncGenerator<ExportChunk> {
    const inFlight: Promise<ExportChunk | null>[] = [];
    let from: { seq: bigint; occurredAt: string | null } | null = { seq: 0n, occurredAt: null };
    const launch = async (): Promise<void> => {
      if (from === null) return;
      const after = from;
      const until = await this.repo.exportKeyAt(filter, after, headSeq, EXPORT_PAGE);
      from = until;
      const p = this.repo.exportChunk(filter, after, headSeq, EXPORT_PAGE, text, until ?? undefined);
      p.catch(() => undefined); // awaited in order below; not unhandled when the consumer stops first
      inFlight.push(p);
    };
    while (inFlight.length < EXPORT_PAGES_IN_FLIGHT && from !== null) await launch();
    while (inFlight.length > 0) {
      const chunk = await (inFlight.shift() as Promise<ExportChunk | null>);
      if (!chunk) return;
      if (from !== null) await launch();
      yield chunk;
    }
  }

  /**
   * The access context of an auditor's action on the log: the auditor as requester, no consent,
   * the action (`AUDIT-EXPORT`, `AUDIT-MANIFEST`, `AUDIT-DOWNLOAD`) as purpose, the export job if any.
   */
  static context(req: ExportRequest, action: AuditAction, jobId: string | null): AccessContext {
    return {
      requesterId: `auditor:${req.auditor.id}`,
      channel: 'audit',
      correlationId: req.correlationId,
      jobId,
      purpose: action,
    };
  }

  /** Logs an auditor's action (durable before any data leaves): what was read is the log itself, with the filter used. */
  private async logAction(
    req: ExportRequest,
    action: AuditAction,
    headSeq: bigint,
    jobId: string | null,
    extra: Record<string, string> = {},
  ): Promise<void> {
    await this.log.append(
      accessEntry(AuditExportService.context(req, action, jobId), {
        occurredAt: new Date(),
        subject: req.filter.subject ?? null,
        itemsRequested: [],
        outcome: 'DISCLOSED',
        source: 'access-log',
        auditFilter: canonicalJson({
          ...req.filter,
          ...extra,
          format: req.format,
          headSeq: headSeq.toString(),
        } as never),
      }),
    );
  }
}
