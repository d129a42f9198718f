import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { request } from 'undici';

interface ReportsOptions {
  url?: string;
  token?: string;
  after?: string;
  limit?: string;
}

/** `audit reports`: the accesses citizens flagged, one JSON object per line, every page. */
@SubCommand({
  name: 'reports',
  description: 'List the accesses citizens flagged on the citizen page (NDJSON on stdout), as an auditor',
})
export class AuditReportsCommand extends CommandRunner {
  async run(_: string[], o: ReportsOptions): Promise<void> {
    if (!o.url || !o.token) {
      process.stderr.write('audit reports needs --url and --token\n');
      process.exitCode = 2;
      return;
    }
    const base = o.url.replace(/\/+$/, '');
    let after: string | null = o.after ?? null;
    let count = 0;
    do {
      const query = new URLSearchParams({ limit: o.limit ?? '500' });
      if (after) query.set('after', after);
      const res = await request(`${base}/audit/reports?${query}`, {
        headers: { authorization: `Bearer ${o.token}` },
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        process.stderr.write(`reports refused: HTTP ${res.statusCode} ${text}\n`);
        process.exitCode = 1;
        return;
      }
      const page = JSON.parse(text) as { reports: unknown[]; next: string | null };
      for (const r of page.reports) process.stdout.write(`${JSON.stringify(r)}\n`);
      count += page.reports.length;
      after = page.next;
    } while (after);
    process.stderr.write(`${count} report(s)\n`);
  }

  @Option({ flags: '--url <url>', description: 'gateway base URL, e.g. http://127.0.0.1:4000' })
  parseUrl(v: string): string {
    return v;
  }
  @Option({ flags: '--token <jwt>', description: 'auditor token (staff issuer, role auditor)' })
  parseToken(v: string): string {
    return v;
  }
  @Option({ flags: '--after <id>', description: 'only reports after this report id' })
  parseAfter(v: string): string {
    return v;
  }
  @Option({ flags: '--limit <n>', description: 'page size asked of the gateway (1..1000, default 500)' })
  parseLimit(v: string): string {
    return v;
  }
}
