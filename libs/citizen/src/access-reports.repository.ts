import type { DataSource } from 'typeorm';

/** An access a citizen flagged, with the entry it is about, as auditors see it. */
export interface AccessReport {
  id: string;
  entryId: string;
  /** The citizen who flagged it (the entry's subject). */
  subject: string;
  text: string;
  reportedAt: Date;
  /** The identity provider that signed the citizen in. */
  signedInWith: string;
  entry: {
    occurredAt: Date;
    channel: string;
    memberId: string;
    purpose: string | null;
    outcome: string;
    reasonCode: string | null;
    consentIssuer: string | null;
    consentJti: string | null;
    correlationId: string;
    jobId: string | null;
  } | null;
}

interface Row {
  id: string;
  entry_seq: string;
  subject: string;
  text: string;
  reported_at: Date;
  issuer: string;
  occurred_at: Date | null;
  channel: string | null;
  member_id: string | null;
  purpose: string | null;
  outcome: string | null;
  reason_code: string | null;
  consent_issuer: string | null;
  consent_jti: string | null;
  correlation_id: string | null;
  job_id: string | null;
}

/** SQL of `access_report`: the accesses citizens flag for the auditors. */
export class AccessReportsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Stores a flag, only if the entry is about `subject` (one statement: no gap between check and write). */
  async add(subject: string, seq: bigint, text: string, issuer: string): Promise<boolean> {
    const rows: { id: string }[] = await this.ds.query(
      `INSERT INTO access_report (entry_seq, subject, text, reported_at, issuer)
       SELECT $2::bigint, $1, $3, now(), $4
       WHERE EXISTS (SELECT 1 FROM access_log WHERE subject = $1 AND seq = $2::bigint)
       RETURNING id`,
      [subject, seq.toString(), text, issuer],
    );
    return rows.length > 0;
  }

  /** Flags after `afterId`, oldest first, optionally only about entries of some members. */
  async list(afterId: bigint, limit: number, members?: readonly string[]): Promise<AccessReport[]> {
    const params: unknown[] = [afterId.toString(), limit];
    let restrict = '';
    if (members) {
      params.push([...members]);
      restrict = `AND l.member_id = ANY($3::text[])`;
    }
    const rows: Row[] = await this.ds.query(
      `SELECT r.id, r.entry_seq, r.subject, r.text, r.reported_at, r.issuer,
              l.occurred_at, l.channel, l.member_id, l.purpose, l.outcome, l.reason_code,
              l.consent_issuer, l.consent_jti, l.correlation_id, l.job_id
       FROM access_report r
       LEFT JOIN LATERAL (
         SELECT * FROM access_log x WHERE x.seq = r.entry_seq AND x.subject = r.subject LIMIT 1
       ) l ON true
       WHERE r.id > $1::bigint ${restrict}
       ORDER BY r.id
       LIMIT $2`,
      params,
    );
    return rows.map((r) => ({
      id: String(r.id),
      entryId: String(r.entry_seq),
      subject: r.subject,
      text: r.text,
      reportedAt: r.reported_at,
      signedInWith: r.issuer,
      entry:
        r.occurred_at === null
          ? null
          : {
              occurredAt: r.occurred_at,
              channel: r.channel!,
              memberId: r.member_id!,
              purpose: r.purpose,
              outcome: r.outcome!,
              reasonCode: r.reason_code,
              consentIssuer: r.consent_issuer,
              consentJti: r.consent_jti,
              correlationId: r.correlation_id!,
              jobId: r.job_id,
            },
    }));
  }
}
