/**
 * Batch jobs across sources: the RNPP, CCSS (SOAP) and RCS (REST) simulators, real processes'
 * code in this process, a real gateway running its jobs in-process (no Redis), real PostgreSQL.
 * A batch item is all or nothing: a source failing for it keeps it pending and it is retried
 * alone; what it released before is never released again.
 */
import type { DataItem } from '@broker/data-items';
import { ErrorCode } from '@broker/errors';
import { GRANTED_PURPOSE, OTHER_PURPOSE, mintConsent, mintMemberAssertion, sql } from '@broker/testing';
import { waitFor } from './support/processes';
import { startRegisters, type TestRegisters } from './support/batch-registers';
import {
  gql,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const SUBMIT = `mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id state total refused } }`;
const STATUS = `query J($id: ID!) { batchJob(id: $id) { id state total succeeded refused failed } }`;
const RESULTS = `query J($id: ID!) { batchJob(id: $id) { results(limit: 1000) {
  index matricule error { code message }
  person { matricule surname affiliations { status employerNumber startDate endDate } businessRoles { role rcsNumber } } } } }`;

interface Job {
  id: string;
  state: string;
  total: number;
  succeeded: number;
  refused: number;
  failed: number;
}
interface Result {
  index: number;
  matricule: string;
  error: { code: string; message: string } | null;
  person: {
    matricule: string;
    surname?: string | null;
    affiliations?:
      { status: string; employerNumber: string; startDate: string; endDate: string | null }[] | null;
    businessRoles?: { role: string; rcsNumber: string }[] | null;
  } | null;
}
interface Entry {
  subject: string;
  outcome: string;
  reason_code: string | null;
  source: string | null;
  item_sources: string[] | null;
  items_disclosed: string[];
  items_failed: string[] | null;
  channel: string;
  member_id: string;
  consent_jti: string | null;
  correlation_id: string;
}

describe('batch jobs across sources (RNPP + CCSS + RCS simulators, in-process jobs, real PostgreSQL)', () => {
  let sim: TestSimulator;
  let registers: TestRegisters;
  let broker: TestBroker;
  /** Living persons with at least one affiliation, and those among them holding a business role. */
  let affiliated: string[];
  let roleHolders: string[];

  beforeAll(async () => {
    sim = await startSimulator();
    registers = await startRegisters(sim.population);
    broker = await startTestBroker(
      sim.url,
      {
        ...registers.env,
        REDIS_URL: 'redis://127.0.0.1:1',
        BATCH_EXECUTION: 'auto',
        BATCH_BACKOFF_MS: '50',
        BATCH_MAX_ATTEMPTS: '3',
        BATCH_RECONCILE_INTERVAL_S: '1',
        // one register call per item and attempt: what the register fails, the batch retries
        RNPP_MAX_ATTEMPTS: '1',
        CCSS_MAX_ATTEMPTS: '1',
        CCSS_BREAKER_HALF_OPEN_MS: '100',
      },
      undefined,
      (doc) => {
        doc.members[0].grants = [
          { purpose: GRANTED_PURPOSE, items: ['name', 'affiliation', 'businessRoles'] },
        ];
      },
    );
    const living = sim.population.list(0, 2000).filter((m) => !sim.population.get(m)?.deathDate);
    affiliated = living.filter((m) => (registers.ccss.register.affiliationsOf(m) ?? []).length > 0);
    roleHolders = affiliated.filter((m) => (registers.rcs.register.rolesOf(m) ?? []).length > 0);
  }, 120_000);

  afterAll(async () => {
    await broker?.close();
    await registers?.close();
    await sim?.close();
  });

  const t = () => broker.trust;
  const asMemberOne = async () => ({
    authorization: `Bearer ${await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId)}`,
  });
  const consent = (m: string, scope: DataItem[]) =>
    mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject: m,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope,
    });

  /** Submits `items` about `ms` as member one, each consent covering `scope` (default: the items). */
  async function submit(ms: string[], items: DataItem[], scope = items): Promise<Job> {
    const requests = await Promise.all(
      ms.map(async (matricule) => ({ matricule, consentToken: await consent(matricule, scope) })),
    );
    const r = await gql(
      broker.graphqlUrl,
      SUBMIT,
      { input: { purpose: GRANTED_PURPOSE, items, requests } },
      await asMemberOne(),
    );
    expect(r.body.errors).toBeUndefined();
    return r.body.data?.submitPersonBatch as Job;
  }
  async function done(id: string): Promise<Job> {
    return waitFor(
      `job ${id}`,
      async () => {
        const r = await gql(broker.graphqlUrl, STATUS, { id }, await asMemberOne());
        const j = r.body.data?.batchJob as Job | null;
        return j && (j.state === 'COMPLETED' || j.state === 'FAILED') ? j : undefined;
      },
      30_000,
      50,
    );
  }
  async function results(id: string): Promise<Result[]> {
    const r = await gql(broker.graphqlUrl, RESULTS, { id }, await asMemberOne());
    expect(r.body.errors).toBeUndefined();
    return (r.body.data?.batchJob as { results: Result[] }).results;
  }
  const entriesOf = (jobId: string) =>
    sql<Entry>(
      broker.databaseUrl,
      `SELECT subject, outcome, reason_code, source, item_sources, items_disclosed, items_failed, channel,
              member_id, consent_jti, correlation_id
       FROM access_log WHERE job_id = $1 ORDER BY seq`,
      [jobId],
    );
  const attemptsOf = (jobId: string) =>
    sql<{ matricule: string; state: string; attempts: number }>(
      broker.databaseUrl,
      `SELECT matricule, state, attempts FROM batch_item WHERE job_id = $1 ORDER BY idx`,
      [jobId],
    );
  const statuses = (m: string) => (registers.ccss.register.affiliationsOf(m) ?? []).map((a) => a.status);
  const roles = (m: string) => (registers.rcs.register.rolesOf(m) ?? []).map((r) => r.role);

  it('answers items of the three sources: every person with their affiliations and business roles, one entry each naming the sources', async () => {
    const ms = [...affiliated.slice(0, 12), ...roleHolders.slice(0, 4)];
    expect(roleHolders.length).toBeGreaterThanOrEqual(4);
    const job = await submit(ms, ['name', 'affiliation', 'businessRoles']);
    expect(job).toMatchObject({ total: ms.length, refused: 0 });
    expect(await done(job.id)).toMatchObject({ state: 'COMPLETED', succeeded: ms.length, failed: 0 });

    const out = await results(job.id);
    expect(out.map((r) => r.error)).toEqual(ms.map(() => null));
    for (const r of out) {
      const m = ms[r.index];
      expect(r.person?.matricule).toBe(m);
      expect(r.person?.surname).toBe(sim.population.get(m)?.surname);
      expect(r.person?.affiliations?.map((a) => a.status)).toEqual(statuses(m));
      expect(r.person?.businessRoles?.map((b) => b.role)).toEqual(roles(m));
    }
    expect(out.filter((r) => r.person?.businessRoles?.length).length).toBeGreaterThanOrEqual(4);

    const entries = await entriesOf(job.id);
    expect(entries.map((e) => e.subject).sort()).toEqual([...ms].sort());
    for (const e of entries) {
      expect(e).toMatchObject({
        outcome: 'DISCLOSED',
        channel: 'async',
        member_id: t().m1.id,
        source: 'rnpp+ccss+rcs',
        item_sources: ['name:rnpp', 'affiliation:ccss', 'businessRoles:rcs'],
        items_disclosed: ['name', 'affiliation', 'businessRoles'],
        items_failed: null,
      });
      expect(e.consent_jti).toEqual(expect.any(String));
    }
  });

  it('checks the consent scope and the member grant for every item at submission, whatever its source: nothing is fetched', async () => {
    const [m, n] = affiliated;
    const ccssBefore = registers.ccss.calls();
    const rcsBefore = registers.rcs.calls();
    // the consent leaves out the CCSS item: refused at once, logged with the job's context and the consent
    const job = await submit([m], ['name', 'affiliation'], ['name']);
    expect(job).toMatchObject({ state: 'COMPLETED', total: 1, refused: 1 });
    expect((await results(job.id))[0]).toMatchObject({
      person: null,
      error: { code: ErrorCode.SCOPE_NOT_GRANTED },
    });
    const [entry] = await entriesOf(job.id);
    expect(entry).toMatchObject({
      subject: m,
      outcome: 'REFUSED',
      reason_code: ErrorCode.SCOPE_NOT_GRANTED,
      channel: 'async',
      member_id: t().m1.id,
      source: null,
      item_sources: ['name:rnpp', 'affiliation:ccss'],
      items_disclosed: [],
    });
    expect(entry.consent_jti).toEqual(expect.any(String));

    // member two is not granted businessRoles, though the citizen consents to it
    const token = await mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject: n,
      audience: t().m2.id,
      purpose: OTHER_PURPOSE,
      scope: ['name', 'businessRoles'],
    });
    const r = await gql(
      broker.graphqlUrl,
      SUBMIT,
      {
        input: {
          purpose: OTHER_PURPOSE,
          items: ['name', 'businessRoles'],
          requests: [{ matricule: n, consentToken: token }],
        },
      },
      { authorization: `Bearer ${await mintMemberAssertion(t().m2.key, t().m2.id, t().brokerId)}` },
    );
    expect(r.body.errors).toBeUndefined();
    const other = r.body.data?.submitPersonBatch as Job;
    expect(other).toMatchObject({ state: 'COMPLETED', refused: 1 });
    expect(await entriesOf(other.id)).toEqual([
      expect.objectContaining({
        outcome: 'REFUSED',
        reason_code: ErrorCode.SCOPE_NOT_GRANTED,
        member_id: t().m2.id,
      }),
    ]);
    expect(registers.ccss.calls()).toBe(ccssBefore);
    expect(registers.rcs.calls()).toBe(rcsBefore);
  });

  it('retries alone the items the CCSS failed, never reading or releasing the others again: one DISCLOSED entry per item', async () => {
    const ms = affiliated.slice(20, 30);
    const before = registers.ccss.calls();
    // the first round: every other CCSS call is a SOAP fault; the retries pass
    await registers.ccss.setKnobs({ failureRate: 0.5 });
    registers.ccss.scriptDraws([...ms.map((_, i) => i % 2), ...ms.map(() => 1)]);
    try {
      const job = await submit(ms, ['name', 'affiliation']);
      expect(await done(job.id)).toMatchObject({ state: 'COMPLETED', succeeded: ms.length, failed: 0 });

      const items = await attemptsOf(job.id);
      expect(items.map((i) => i.state)).toEqual(ms.map(() => 'RELEASED'));
      expect(items.filter((i) => i.attempts === 2)).toHaveLength(ms.length / 2);
      expect(items.filter((i) => i.attempts === 1)).toHaveLength(ms.length / 2);
      // one CCSS call per item and attempt: the retry asked for the failed items only
      expect(registers.ccss.calls() - before).toBe(ms.length + ms.length / 2);

      const entries = await entriesOf(job.id);
      expect(entries.map((e) => e.subject).sort()).toEqual([...ms].sort());
      expect(entries.every((e) => e.outcome === 'DISCLOSED' && e.items_failed === null)).toBe(true);
      const out = await results(job.id);
      for (const r of out)
        expect(r.person?.affiliations?.map((a) => a.status)).toEqual(statuses(ms[r.index]));
    } finally {
      registers.ccss.scriptDraws([]);
      await registers.ccss.setKnobs({ failureRate: 0 });
    }
  });

  it('dead-letters at once, without retrying, an item whose person the CCSS does not know', async () => {
    const ms = affiliated.slice(40, 43);
    registers.ccss.forget(ms[1]);
    const before = registers.ccss.calls();
    const job = await submit(ms, ['name', 'affiliation']);
    expect(await done(job.id)).toMatchObject({ state: 'COMPLETED', succeeded: 2, failed: 1 });
    expect(registers.ccss.calls() - before).toBe(3);
    expect((await attemptsOf(job.id)).map((i) => [i.state, i.attempts])).toEqual([
      ['RELEASED', 1],
      ['FAILED', 1],
      ['RELEASED', 1],
    ]);
    const entry = (await entriesOf(job.id)).find((e) => e.subject === ms[1]);
    expect(entry).toMatchObject({
      outcome: 'REFUSED',
      reason_code: ErrorCode.SOURCE_UNAVAILABLE,
      items_disclosed: [],
      items_failed: ['affiliation'],
    });
  });

  it('dead-letters every item as FAILED SOURCE_UNAVAILABLE when the CCSS stays down: one entry each, naming the failed item', async () => {
    const ms = affiliated.slice(50, 54);
    await registers.ccss.setKnobs({ failureRate: 1 });
    try {
      const job = await submit(ms, ['name', 'affiliation']);
      expect(await done(job.id)).toMatchObject({ state: 'FAILED', succeeded: 0, failed: ms.length });
      const out = await results(job.id);
      expect(out.map((r) => [r.person, r.error?.code])).toEqual(
        ms.map(() => [null, ErrorCode.SOURCE_UNAVAILABLE]),
      );
      expect((await attemptsOf(job.id)).map((i) => i.attempts)).toEqual(ms.map(() => 3));
      const entries = await entriesOf(job.id);
      expect(entries.map((e) => e.subject).sort()).toEqual([...ms].sort());
      for (const e of entries) {
        expect(e).toMatchObject({
          outcome: 'REFUSED',
          reason_code: ErrorCode.SOURCE_UNAVAILABLE,
          source: 'rnpp+ccss',
          item_sources: ['name:rnpp', 'affiliation:ccss'],
          items_disclosed: [],
          items_failed: ['affiliation'],
        });
      }
    } finally {
      await registers.ccss.setKnobs({ failureRate: 0 });
    }
  });
});
