import type { AccessLogAppender, NewAccessEntry } from '@broker/access-log';
import type { AccessReportsRepository } from './access-reports.repository';
import { AccessReportsService } from './access-reports.service';

describe('AccessReportsService.list', () => {
  function service() {
    const appended: NewAccessEntry[] = [];
    const calls: string[] = [];
    const log = {
      append: async (e: NewAccessEntry) => {
        calls.push('append');
        appended.push(e);
      },
    } as unknown as AccessLogAppender;
    const repo = {
      list: async () => {
        calls.push('list');
        return [];
      },
    } as unknown as AccessReportsRepository;
    return { svc: new AccessReportsService(repo, log), appended, calls };
  }

  it('logs the reading first, through the one builder, with the same entry as ever', async () => {
    const { svc, appended, calls } = service();
    const auditor = { id: 'staff-idp/alice', issuer: 'staff-idp', subject: 'alice', members: ['m1'] };
    await svc.list(auditor, '7', 10, 'corr-1');
    expect(calls).toEqual(['append', 'list']);
    // the entry written by hand before accessEntry existed, field for field
    expect(appended).toEqual([
      {
        occurredAt: expect.any(Date),
        channel: 'audit',
        memberId: 'auditor:staff-idp/alice',
        purpose: 'audit.reports',
        consentIssuer: null,
        consentJti: null,
        subject: null,
        itemsRequested: [],
        itemsDisclosed: [],
        outcome: 'DISCLOSED',
        reasonCode: null,
        source: 'access-report',
        correlationId: 'corr-1',
        jobId: null,
        auditFilter: '{"after":"7","limit":10,"members":["m1"]}',
      },
    ]);
  });

  it('names no members in the filter for an unrestricted auditor, and logs nothing for a bad limit', async () => {
    const { svc, appended } = service();
    const auditor = { id: 'staff-idp/bob', issuer: 'staff-idp', subject: 'bob' };
    await svc.list(auditor, undefined, undefined, 'corr-2');
    expect(appended[0].auditFilter).toBe('{"after":null,"limit":100,"members":null}');
    await expect(svc.list(auditor, undefined, 0, 'corr-3')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(appended).toHaveLength(1);
  });
});
