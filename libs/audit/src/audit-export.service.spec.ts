import { canonicalDocument, canonicalJson, type NewAccessEntry } from '@broker/access-log';
import { foldSubtrees, type TreeNodeId } from '@broker/transparency';
import { AuditExportService, type ExportRequest } from './audit-export.service';
import type { ManifestClaims } from './export-format';

const REQ: ExportRequest = {
  auditor: { id: 'staff-x/auditor-1', issuer: 'staff-x', subject: 'auditor-1', members: ['member-one'] },
  filter: { from: '2026-01-01T00:00:00.000Z', subject: '1893120105732', members: ['member-one'] },
  format: 'ndjson',
  correlationId: 'corr-audit-1',
};

/** The entry of an auditor's action exactly as it was assembled by hand before accessEntry (the reference). */
function handBuilt(
  occurredAt: Date,
  purpose: string,
  headSeq: bigint,
  jobId: string | null,
  extra: Record<string, string> = {},
): NewAccessEntry {
  return {
    occurredAt,
    channel: 'audit',
    memberId: `auditor:${REQ.auditor.id}`,
    purpose,
    consentIssuer: null,
    consentJti: null,
    subject: REQ.filter.subject ?? null,
    itemsRequested: [],
    itemsDisclosed: [],
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'access-log',
    correlationId: REQ.correlationId,
    jobId,
    auditFilter: canonicalJson({
      ...REQ.filter,
      ...extra,
      format: REQ.format,
      headSeq: headSeq.toString(),
    } as never),
  };
}

/** The service over fakes: the appender keeps what it is given, the chain head is seq 11. */
function service(published: { size: number; cosignedNote: string } | null = null): {
  exports: AuditExportService;
  appended: NewAccessEntry[];
  signed: ManifestClaims[];
} {
  const appended: NewAccessEntry[] = [];
  const signed: ManifestClaims[] = [];
  const exports = new AuditExportService(
    { exportKeyAt: () => Promise.resolve(null), exportChunk: () => Promise.resolve(null) } as never,
    { append: (e: NewAccessEntry) => Promise.resolve(void appended.push(e)) } as never,
    { head: () => Promise.resolve({ seq: 11n }), checkpointAt: () => Promise.resolve(null) } as never,
    { sign: (c: ManifestClaims) => Promise.resolve(void signed.push(c)).then(() => 'a.b.c') } as never,
    { brokerId: 'broker-test' } as never,
    {
      latestPublished: () => Promise.resolve(published),
      nodes: (ids: TreeNodeId[]) => Promise.resolve(ids.map((id) => Buffer.alloc(32, id.level))),
    } as never,
    { transparencyLog: { publishMaxDelayMs: 300 } } as never,
  );
  return { exports, appended, signed };
}

/** The hashed form of an entry at a fixed place in the chain: equal documents, equal hashes. */
const hashed = (e: NewAccessEntry): string =>
  canonicalDocument({ ...e, seq: '12', prevHash: '0'.repeat(64) });

describe('AuditExportService: the entries of auditor actions', () => {
  it('logs an export, a manifest and a download through accessEntry, byte for byte as before', async () => {
    const { exports, appended } = service();
    await exports.startExport(REQ, 'job-1');
    await exports.manifest(REQ, 11n, 'job-1');
    await exports.logDownload(REQ, 11n, 'job-1', 'file');
    await exports.startExport(REQ);
    const expected = [
      handBuilt(appended[0].occurredAt, 'AUDIT-EXPORT', 11n, 'job-1'),
      handBuilt(appended[1].occurredAt, 'AUDIT-MANIFEST', 11n, 'job-1'),
      handBuilt(appended[2].occurredAt, 'AUDIT-DOWNLOAD', 11n, 'job-1', { download: 'file' }),
      handBuilt(appended[3].occurredAt, 'AUDIT-EXPORT', 11n, null),
    ];
    expect(appended).toEqual(expected);
    expect(appended.map(hashed)).toEqual(expected.map(hashed));
    // no per-source fields on an auditor's entry: its hash input is the one it always had
    for (const e of appended) expect(e).not.toHaveProperty('itemSources');
    for (const e of appended) expect(e).not.toHaveProperty('itemsFailed');
  });

  it('names the auditor, the channel audit and no consent in the access context', () => {
    expect(AuditExportService.context(REQ, 'AUDIT-MANIFEST', null)).toEqual({
      requesterId: 'auditor:staff-x/auditor-1',
      channel: 'audit',
      correlationId: 'corr-audit-1',
      jobId: null,
      purpose: 'AUDIT-MANIFEST',
    });
  });

  it('anchors the manifest in the latest published checkpoint that covers the cut', async () => {
    const { exports, signed } = service({ size: 12, cosignedNote: 'the cosigned note' });
    await exports.manifest(REQ, 11n);
    // no entry matched: the proof is the hash of the whole tree [0, 12), folded from (3, 0) and (2, 2)
    const fold = foldSubtrees([Buffer.alloc(32, 3), Buffer.alloc(32, 2)]);
    expect(signed[0].tlog).toEqual({
      checkpoint: 'the cosigned note',
      size: 12,
      proof: [fold.toString('base64')],
    });
  });

  it('says why the manifest is not anchored when no checkpoint covers the cut in time', async () => {
    const { exports, signed } = service({ size: 10, cosignedNote: 'too small' });
    await exports.manifest(REQ, 11n);
    expect(signed[0].tlog).toEqual({
      checkpoint: null,
      reason: 'no published (cosigned) checkpoint covered seq 11 within 300 ms',
    });
  });
});
