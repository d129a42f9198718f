/**
 * One query across three authentic sources, end to end: a real gateway over a fresh PostgreSQL
 * database with the real migrations, the RNPP (REST), CCSS (SOAP 1.1) and RCS (REST, API key)
 * simulators over real HTTP, tokens signed in the test with keys made in the test. Each source
 * fails in its own way in turn; the others are still answered, and every request leaves exactly
 * one access-log entry naming the source of each item and the items that failed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeMatricule } from '@broker/matricule';
import type { DataItem } from '@broker/data-items';
import { GRANTED_PURPOSE, OTHER_PURPOSE, mintConsent, mintMemberAssertion, sql } from '@broker/testing';
import { createAffiliationRegister } from '../apps/ccss-simulator/src/affiliations';
import { createRoleRegister } from '../apps/rcs-simulator/src/business-roles';
import {
  gql,
  personQuery,
  runCli,
  startCcssSimulator,
  startRcsSimulator,
  startSimulator,
  startTestBroker,
  testPopulation,
  type GqlResponse,
  type TestBroker,
  type TestCcss,
  type TestRcs,
  type TestRegisters,
  type TestSimulator,
} from './support/test-broker';

interface LogRow {
  outcome: string;
  reason_code: string | null;
  subject: string | null;
  source: string | null;
  items_requested: string[];
  items_disclosed: string[];
  item_sources: string[] | null;
  items_failed: string[] | null;
}

/** An access-log entry as `access-log find --json` prints it. */
interface FoundEntry {
  outcome: string;
  reasonCode: string | null;
  source: string | null;
  itemsRequested: string[];
  itemsDisclosed: string[];
  itemSources?: string[] | null;
  itemsFailed?: string[] | null;
}

type GqlError = NonNullable<GqlResponse['body']['errors']>[number] & { path?: (string | number)[] };

const AFFILIATIONS = 'affiliations { status employerName employerNumber startDate endDate }';
const ROLES = 'businessRoles { rcsNumber companyName role since }';
/** A field of each source: surname (RNPP), affiliations (CCSS), businessRoles (RCS). */
const ACROSS = `matricule surname ${AFFILIATIONS} ${ROLES}`;
const ALL_ITEMS: DataItem[] = ['name', 'birth', 'address', 'affiliation', 'businessRoles'];
const SOURCE_OF = {
  rnpp: ['name', 'surname'],
  ccss: ['affiliation', 'affiliations'],
  rcs: ['businessRoles', 'businessRoles'],
} as const;
type SourceName = keyof typeof SOURCE_OF;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('one query across the RNPP, the CCSS and the RCS', () => {
  const population = testPopulation();
  const baseCcss = createAffiliationRegister(population);
  const baseRcs = createRoleRegister(population);
  const living = population
    .list(0, population.size)
    .filter((m) => population.get(m)?.address && !population.get(m)?.deathDate);
  /** Known everywhere, with at least one affiliation and one role. */
  const P = living.find((m) => baseCcss.affiliationsOf(m)!.length > 0 && baseRcs.rolesOf(m)!.length > 0)!;
  /** Known to the RNPP, unknown to this CCSS: its answer is the UNKNOWN_MATRICULE fault. */
  const Q = living.find((m) => m !== P && baseCcss.affiliationsOf(m)!.length > 0)!;
  /** Unknown to the RNPP, yet known (with nothing) to this CCSS and RCS. */
  let ghost = '';
  for (let serial = 999; !ghost; serial--) {
    const m = makeMatricule('19700101', serial);
    if (!population.get(m)) ghost = m;
  }

  let rnpp: TestSimulator;
  let ccss: TestCcss;
  let rcs: TestRcs;
  let registers: TestRegisters;
  let broker: TestBroker;

  beforeAll(async () => {
    rnpp = await startSimulator();
    ccss = await startCcssSimulator({
      register: {
        size: baseCcss.size,
        affiliationsOf: (m) => (m === Q ? undefined : m === ghost ? [] : baseCcss.affiliationsOf(m)),
      },
    });
    rcs = await startRcsSimulator({
      register: { size: baseRcs.size, rolesOf: (m) => (m === ghost ? [] : baseRcs.rolesOf(m)) },
    });
    registers = { rnpp: rnpp.url, ccss, rcs };
    // Failure tests open circuits (5 failures in a row): let each try again after 100 ms.
    broker = await startTestBroker(
      registers,
      { RNPP_BREAKER_HALF_OPEN_MS: '100', CCSS_BREAKER_HALF_OPEN_MS: '100', RCS_BREAKER_HALF_OPEN_MS: '100' },
      undefined,
      (doc) => {
        doc.members[0].grants[0].items = ALL_ITEMS;
      },
    );
  });

  afterEach(async () => {
    await Promise.all([
      rnpp.setKnobs({ latencyMs: 0, failureRate: 0 }),
      ccss.setKnobs({ latencyMs: 0, failureRate: 0, malformedRate: 0 }),
      rcs.setKnobs({ latencyMs: 0, failureRate: 0 }),
    ]);
    // past the half-open delay: a circuit a test opened lets the next read through
    await sleep(150);
  });

  afterAll(async () => {
    await broker?.close();
    await Promise.all([rnpp?.close(), ccss?.close(), rcs?.close()]);
  });

  const t = () => broker.trust;
  const consent = (subject: string, scope: DataItem[] = ALL_ITEMS) =>
    mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope,
    });

  /** Asks `gateway` (default: the broker) as member one, with a consent to `scope`. */
  async function ask(
    matricule: string,
    selection = ACROSS,
    opts: { scope?: DataItem[]; gateway?: TestBroker } = {},
  ) {
    const correlationId = `e2e-${randomUUID()}`;
    const headers = {
      authorization: `Bearer ${await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId)}`,
      'consent-token': await consent(matricule, opts.scope),
      'x-correlation-id': correlationId,
    };
    const started = Date.now();
    const res = await gql(
      (opts.gateway ?? broker).graphqlUrl,
      personQuery(selection),
      { m: matricule },
      headers,
    );
    return { res, correlationId, elapsedMs: Date.now() - started };
  }

  const entries = (correlationId: string) =>
    sql<LogRow>(broker.databaseUrl, 'SELECT * FROM access_log WHERE correlation_id = $1', [correlationId]);

  /** The entries of a request as the operator's command prints them. */
  async function found(correlationId: string): Promise<FoundEntry[]> {
    const out = await runCli(
      ['access-log', 'find', '--correlation-id', correlationId, '--json'],
      broker.databaseUrl,
    );
    expect(out.code).toBe(0);
    return JSON.parse(out.stdout) as FoundEntry[];
  }

  const counts = () => ({ rnpp: rnpp.requests(), ccss: ccss.requests(), rcs: rcs.requests() });
  const person = (res: GqlResponse) => res.body.data?.person as Record<string, unknown> | null | undefined;
  const errors = (res: GqlResponse) => (res.body.errors ?? []) as GqlError[];

  /** The truth for P, from the registers themselves. */
  const truth = (m: string) => ({
    surname: population.get(m)!.surname,
    affiliations: baseCcss.affiliationsOf(m),
    businessRoles: baseRcs.rolesOf(m),
  });

  /** One SOURCE_UNAVAILABLE error for `source`, at ['person', its field]. */
  function expectFieldFailed(res: GqlResponse, source: SourceName, problem?: string) {
    expect(res.status).toBe(200);
    const [item, field] = SOURCE_OF[source];
    expect(errors(res)).toHaveLength(1);
    const [e] = errors(res);
    expect(e.extensions).toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      source,
      ...(problem ? { problem } : {}),
    });
    expect(e.path).toEqual(['person', field]);
    expect(person(res)?.[field]).toBeNull();
    return item;
  }

  it('answers every source and logs one entry naming the source of each item', async () => {
    const { res, correlationId } = await ask(P);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(person(res)).toEqual({ matricule: P, ...truth(P) });

    const log = await found(correlationId);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      outcome: 'DISCLOSED',
      reasonCode: null,
      source: 'rnpp+ccss+rcs',
      itemsRequested: ['name', 'affiliation', 'businessRoles'],
      itemsDisclosed: ['name', 'affiliation', 'businessRoles'],
      itemSources: ['name:rnpp', 'affiliation:ccss', 'businessRoles:rcs'],
    });
    expect(log[0].itemsFailed ?? null).toBeNull();
  });

  describe.each<[SourceName, string | undefined]>([
    ['rnpp', undefined],
    // failureRate at the CCSS is a SOAP Server fault (SERVICE_UNAVAILABLE)
    ['ccss', 'unavailable'],
    ['rcs', 'unavailable'],
  ])('with the %s failing every read', (source, problem) => {
    const sims = () => ({ rnpp, ccss, rcs })[source];

    it("answers the other sources' fields and fails its own, in one DISCLOSED entry", async () => {
      await sims().setKnobs({ failureRate: 1 });
      const { res, correlationId } = await ask(P);
      const failedItem = expectFieldFailed(res, source, problem);
      const expected: Record<string, unknown> = { matricule: P, ...truth(P) };
      expected[SOURCE_OF[source][1]] = null;
      expect(person(res)).toEqual(expected);

      const log = await found(correlationId);
      expect(log).toHaveLength(1);
      const all = ['name', 'affiliation', 'businessRoles'];
      expect(log[0]).toMatchObject({
        outcome: 'DISCLOSED',
        source: 'rnpp+ccss+rcs',
        itemsRequested: all,
        itemsDisclosed: all.filter((i) => i !== failedItem),
        itemSources: ['name:rnpp', 'affiliation:ccss', 'businessRoles:rcs'],
        itemsFailed: [failedItem],
      });
    });
  });

  it('refuses the whole request when the RNPP fails and only its fields are selected', async () => {
    await rnpp.setKnobs({ failureRate: 1 });
    const before = counts();
    const { res, correlationId } = await ask(P, 'surname birthDate');
    expect(res.status).toBe(200);
    expect(person(res)).toBeNull();
    expect(errors(res).map((e) => [e.extensions?.code, e.extensions?.source, e.path])).toEqual([
      ['SOURCE_UNAVAILABLE', 'rnpp', ['person']],
    ]);
    expect(counts()).toMatchObject({ ccss: before.ccss, rcs: before.rcs });
    const log = await entries(correlationId);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      outcome: 'REFUSED',
      reason_code: 'SOURCE_UNAVAILABLE',
      source: 'rnpp',
      items_disclosed: [],
      items_failed: ['name', 'birth'],
    });
  });

  it('refuses the whole request on PERSON_NOT_FOUND at the RNPP, though the CCSS and the RCS answered', async () => {
    const before = counts();
    const { res, correlationId } = await ask(ghost);
    expect(person(res)).toBeNull();
    expect(errors(res).map((e) => [e.extensions?.code, e.extensions?.source])).toEqual([
      ['PERSON_NOT_FOUND', 'rnpp'],
    ]);
    // the three were asked in parallel, and the CCSS and the RCS did answer (an empty list each)
    expect(counts()).toEqual({ rnpp: before.rnpp + 1, ccss: before.ccss + 1, rcs: before.rcs + 1 });
    const log = await entries(correlationId);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      outcome: 'REFUSED',
      reason_code: 'PERSON_NOT_FOUND',
      subject: ghost,
      source: 'rnpp+ccss+rcs',
      items_disclosed: [],
      items_failed: null,
    });
  });

  it('fails only the CCSS field, past its timeout, in well under the register latency', async () => {
    const tight = await startTestBroker(
      registers,
      { CCSS_ATTEMPT_TIMEOUT_MS: '300', CCSS_TOTAL_TIMEOUT_MS: '300' },
      broker,
    );
    try {
      await ccss.setKnobs({ latencyMs: 3000 });
      const { res, correlationId, elapsedMs } = await ask(P, ACROSS, { gateway: tight });
      expectFieldFailed(res, 'ccss', 'timeout');
      expect(person(res)).toMatchObject({ surname: truth(P).surname, businessRoles: truth(P).businessRoles });
      expect(elapsedMs).toBeLessThan(1500);
      expect((await entries(correlationId))[0]).toMatchObject({
        outcome: 'DISCLOSED',
        items_failed: ['affiliation'],
      });
    } finally {
      await tight.close();
    }
  });

  it('fails the CCSS field on a SOAP fault about the person, without retrying it', async () => {
    const before = ccss.requests();
    const { res, correlationId } = await ask(Q);
    expectFieldFailed(res, 'ccss', 'unknown-person');
    expect(person(res)).toMatchObject({ matricule: Q, surname: population.get(Q)!.surname });
    expect(ccss.requests()).toBe(before + 1);
    expect((await entries(correlationId))[0]).toMatchObject({
      outcome: 'DISCLOSED',
      items_disclosed: ['name', 'businessRoles'],
      items_failed: ['affiliation'],
    });
  });

  it('fails the CCSS field on malformed XML, after trying again', async () => {
    await ccss.setKnobs({ malformedRate: 1 });
    const before = ccss.requests();
    const { res, correlationId } = await ask(P);
    expectFieldFailed(res, 'ccss', 'malformed');
    expect(person(res)).toMatchObject({ surname: truth(P).surname, businessRoles: truth(P).businessRoles });
    expect(ccss.requests() - before).toBe(3); // CCSS_MAX_ATTEMPTS
    expect((await entries(correlationId))[0]).toMatchObject({ items_failed: ['affiliation'] });
  });

  it('fails the RCS field when the broker holds the wrong RCS credential, and answers the rest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rcs-wrong-key-'));
    const wrongKeyFile = path.join(dir, 'rcs-api-key');
    await writeFile(wrongKeyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    const wrong = await startTestBroker(
      { ...registers, rcs: { url: rcs.url, apiKeyFile: wrongKeyFile } },
      {},
      broker,
    );
    try {
      const before = rcs.requests();
      const { res, correlationId } = await ask(P, ACROSS, { gateway: wrong });
      expectFieldFailed(res, 'rcs', 'credential');
      expect(person(res)).toMatchObject({ surname: truth(P).surname, affiliations: truth(P).affiliations });
      expect(rcs.requests()).toBe(before + 1); // a refused key is not tried again
      expect((await entries(correlationId))[0]).toMatchObject({
        outcome: 'DISCLOSED',
        items_failed: ['businessRoles'],
      });
    } finally {
      await wrong.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails a register that does not run as transport; none of them refuses the RNPP fields', async () => {
    // no CCSS nor RCS given: the test broker points them where nothing listens
    const bare = await startTestBroker(rnpp.url, {}, broker);
    try {
      const { res, correlationId } = await ask(P, ACROSS, { gateway: bare });
      expect(res.status).toBe(200);
      expect(person(res)).toEqual({
        matricule: P,
        surname: truth(P).surname,
        affiliations: null,
        businessRoles: null,
      });
      expect(
        errors(res)
          .map((e) => [e.extensions?.code, e.extensions?.source, e.extensions?.problem, e.path])
          .sort(),
      ).toEqual([
        ['SOURCE_UNAVAILABLE', 'ccss', 'transport', ['person', 'affiliations']],
        ['SOURCE_UNAVAILABLE', 'rcs', 'transport', ['person', 'businessRoles']],
      ]);
      expect((await entries(correlationId))[0]).toMatchObject({
        outcome: 'DISCLOSED',
        items_disclosed: ['name'],
        items_failed: ['affiliation', 'businessRoles'],
      });

      // every source asked failed: nothing to disclose, one refusal naming both
      const none = await ask(P, `${AFFILIATIONS} ${ROLES}`, { gateway: bare });
      expect(person(none.res)).toBeNull();
      expect(errors(none.res).map((e) => e.extensions?.code)).toEqual(['SOURCE_UNAVAILABLE']);
      expect((await entries(none.correlationId))[0]).toMatchObject({
        outcome: 'REFUSED',
        reason_code: 'SOURCE_UNAVAILABLE',
        source: 'ccss+rcs',
        items_failed: ['affiliation', 'businessRoles'],
      });
    } finally {
      await bare.close();
    }
  });

  it('refuses a consent scope that covers only some sources, and fetches nothing', async () => {
    const before = counts();
    const { res, correlationId } = await ask(P, ACROSS, { scope: ['name', 'affiliation'] });
    expect(person(res)).toBeNull();
    expect(errors(res)).toHaveLength(1);
    expect(errors(res)[0].extensions).toMatchObject({
      code: 'SCOPE_NOT_GRANTED',
      notConsented: ['businessRoles'],
      notGranted: [],
    });
    expect(counts()).toEqual(before);
    expect(await entries(correlationId)).toEqual([
      expect.objectContaining({ outcome: 'REFUSED', reason_code: 'SCOPE_NOT_GRANTED', source: null }),
    ]);
  });

  it("refuses an item missing from the member's grant, whatever its source, and fetches nothing", async () => {
    // member two is granted name and civilStatus for its purpose: not the CCSS's affiliation
    const before = counts();
    const correlationId = `e2e-${randomUUID()}`;
    const res = await gql(
      broker.graphqlUrl,
      personQuery(`surname ${AFFILIATIONS}`),
      { m: P },
      {
        authorization: `Bearer ${await mintMemberAssertion(t().m2.key, t().m2.id, t().brokerId)}`,
        'consent-token': await mintConsent(t().i2.key, {
          issuer: t().i2.id,
          subject: P,
          audience: t().m2.id,
          purpose: OTHER_PURPOSE,
          scope: ['name', 'affiliation'],
        }),
        'x-correlation-id': correlationId,
      },
    );
    expect(person(res)).toBeNull();
    expect(errors(res)[0].extensions).toMatchObject({
      code: 'SCOPE_NOT_GRANTED',
      notConsented: [],
      notGranted: ['affiliation'],
    });
    expect(counts()).toEqual(before);
    expect(await entries(correlationId)).toEqual([
      expect.objectContaining({ outcome: 'REFUSED', reason_code: 'SCOPE_NOT_GRANTED' }),
    ]);
  });

  it('calls only the sources whose fields are selected', async () => {
    let before = counts();
    const onlyCcss = await ask(P, AFFILIATIONS);
    expect(onlyCcss.res.body.errors).toBeUndefined();
    expect(person(onlyCcss.res)).toEqual({ affiliations: truth(P).affiliations });
    expect(counts()).toEqual({ ...before, ccss: before.ccss + 1 });
    expect((await entries(onlyCcss.correlationId))[0]).toMatchObject({
      source: 'ccss',
      item_sources: ['affiliation:ccss'],
    });

    before = counts();
    const onlyRcs = await ask(P, ROLES);
    expect(person(onlyRcs.res)).toEqual({ businessRoles: truth(P).businessRoles });
    expect(counts()).toEqual({ ...before, rcs: before.rcs + 1 });

    // only the matricule: the RNPP alone confirms that the person exists
    before = counts();
    const onlyMatricule = await ask(P, 'matricule');
    expect(person(onlyMatricule.res)).toEqual({ matricule: P });
    expect(counts()).toEqual({ ...before, rnpp: before.rnpp + 1 });
  });

  it('reads the sources in parallel: two at 300 ms each answer in less than their sum', async () => {
    await ccss.setKnobs({ latencyMs: 300 });
    await rcs.setKnobs({ latencyMs: 300 });
    const { res, elapsedMs } = await ask(P);
    expect(res.body.errors).toBeUndefined();
    expect(person(res)).toEqual({ matricule: P, ...truth(P) });
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
    expect(elapsedMs).toBeLessThan(550);
  });

  it('leaves a chain that `access-log verify` finds intact, partial answers included', async () => {
    const [{ n }] = await sql<{ n: string }>(
      broker.databaseUrl,
      'SELECT count(*) AS n FROM access_log WHERE items_failed IS NOT NULL',
    );
    expect(Number(n)).toBeGreaterThanOrEqual(5);
    const out = await runCli(['access-log', 'verify', '--json'], broker.databaseUrl);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, firstBroken: null });
  });
});
