/**
 * The citizen's side of several registers, end to end: a real gateway over a fresh PostgreSQL
 * database with the real migrations, and the RNPP, CCSS (SOAP) and RCS (REST, API key) simulators
 * over real HTTP. "My data" answers from every register, the log entry of that look names the
 * register of each item, a register that fails leaves the others' data (partial answer, one entry
 * naming the items it did not deliver), and the page can name every register from the catalogue.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { request } from 'undici';
import { AccessLogAppender } from '@broker/access-log';
import { SOURCE_REGISTRY } from '@broker/data-items';
import { mintCitizenToken, sql } from '@broker/testing';
import { startCitizenRegisters, type CitizenRegisters } from './support/citizen-registers';
import {
  gql,
  startSimulator,
  startTestBroker,
  type GqlResponse,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const MY_DATA = `{ myData { matricule surname
  affiliations { status employerName employerNumber startDate endDate }
  businessRoles { rcsNumber companyName role since } } }`;
const LOG = `query Log($first: Int) { myAccessLog(first: $first) { totalCount edges { node {
  id channel member { id } outcome itemsRequested itemsDisclosed reasonCode
  sources { source items failedItems } } } } }`;

interface EntrySource {
  source: string;
  items: string[];
  failedItems: string[];
}
interface Entry {
  id: string;
  channel: string;
  member: { id: string };
  outcome: string;
  itemsRequested: string[];
  itemsDisclosed: string[];
  reasonCode: string | null;
  sources: EntrySource[];
}

const RNPP_ITEMS = SOURCE_REGISTRY.source('rnpp')!.items.map((i) => i.name);

describe('citizen: my data from every register (RNPP, CCSS, RCS simulators + PostgreSQL)', () => {
  let sim: TestSimulator;
  let registers: CitizenRegisters;
  let broker: TestBroker;
  /** Holds affiliations and business roles. */
  let X: string;
  /** Holds affiliations and no business role. */
  let Y: string;

  beforeAll(async () => {
    sim = await startSimulator();
    registers = await startCitizenRegisters(sim.population);
    // a short half-open time: a register brought back is tried again within the test
    broker = await startTestBroker(sim.url, {
      ...registers.env,
      CCSS_BREAKER_HALF_OPEN_MS: '100',
      RCS_BREAKER_HALF_OPEN_MS: '100',
    });
    const living = sim.population
      .list(0, 2000)
      .filter((m) => sim.population.get(m)?.address && !sim.population.get(m)?.deathDate);
    const affiliated = living.filter((m) => registers.ccss.register.affiliationsOf(m)!.length > 0);
    X = affiliated.find((m) => registers.rcs.register.rolesOf(m)!.length > 0)!;
    Y = affiliated.find((m) => registers.rcs.register.rolesOf(m)!.length === 0)!;
    expect(X).toBeDefined();
    expect(Y).toBeDefined();
  });

  afterAll(async () => {
    await broker?.close();
    await registers?.close();
    await sim?.close();
  });

  const bearer = async (m: string) => ({
    authorization: `Bearer ${await mintCitizenToken(broker.trust.idp.key, broker.trust.idp.issuer, broker.trust.brokerId, m)}`,
  });
  const myData = async (m: string): Promise<GqlResponse> =>
    gql(broker.graphqlUrl, MY_DATA, {}, await bearer(m));
  const myLog = async (m: string): Promise<{ totalCount: number; entries: Entry[] }> => {
    const r = await gql(broker.graphqlUrl, LOG, { first: 100 }, await bearer(m));
    expect(r.body.errors).toBeUndefined();
    const c = r.body.data!.myAccessLog as { totalCount: number; edges: { node: Entry }[] };
    return { totalCount: c.totalCount, entries: c.edges.map((e) => e.node) };
  };

  it('lists the registers of the catalogue, named in four languages, to anyone (no token)', async () => {
    const r = await gql(broker.graphqlUrl, '{ sources { name titles { en fr de lb } items } }', {});
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.sources).toEqual(
      SOURCE_REGISTRY.sources.map((s) => ({
        name: s.name,
        titles: { en: s.titles.en, fr: s.titles.fr, de: s.titles.de, lb: s.titles.lb },
        items: s.items.map((i) => i.name),
      })),
    );
    expect((r.body.data!.sources as { name: string }[]).map((s) => s.name)).toEqual(['rnpp', 'ccss', 'rcs']);
  });

  it('returns my affiliations and business roles beside my civil data, logged as one self entry naming each register', async () => {
    const before = (await myLog(X)).totalCount;
    const r = await myData(X);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.myData).toEqual({
      matricule: X,
      surname: sim.population.get(X)!.surname,
      affiliations: registers.ccss.register.affiliationsOf(X),
      businessRoles: registers.rcs.register.rolesOf(X),
    });

    const log = await myLog(X);
    expect(log.totalCount).toBe(before + 1);
    const [self] = log.entries;
    expect(self).toMatchObject({ channel: 'self', member: { id: 'citizen' }, outcome: 'DISCLOSED' });
    expect(self.itemsDisclosed).toEqual(expect.arrayContaining(['name', 'affiliation', 'businessRoles']));
    expect(self.sources).toEqual([
      { source: 'rnpp', items: RNPP_ITEMS, failedItems: [] },
      { source: 'ccss', items: ['affiliation'], failedItems: [] },
      { source: 'rcs', items: ['businessRoles'], failedItems: [] },
    ]);
    const [row] = await sql<{ source: string; item_sources: string[]; items_failed: string[] | null }>(
      broker.databaseUrl,
      'SELECT source, item_sources, items_failed FROM access_log WHERE seq = $1',
      [self.id],
    );
    expect(row.source).toBe('rnpp+ccss+rcs');
    expect(row.item_sources).toEqual(expect.arrayContaining(['affiliation:ccss', 'businessRoles:rcs']));
    expect(row.items_failed).toBeNull();
  });

  it('answers an empty list, not an error, when a register holds nothing about me', async () => {
    const r = await myData(Y);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.myData).toMatchObject({
      matricule: Y,
      affiliations: registers.ccss.register.affiliationsOf(Y),
      businessRoles: [],
    });
  });

  it('names the register of every item in the CSV download, and places an older entry by the catalogue', async () => {
    // an entry as written before there were several registers: no item_sources
    await broker.app.get(AccessLogAppender).append({
      occurredAt: new Date(),
      channel: 'sync',
      memberId: broker.trust.m1.id,
      purpose: null,
      consentIssuer: null,
      consentJti: null,
      subject: Y,
      itemsRequested: ['name', 'birth'],
      itemsDisclosed: ['name', 'birth'],
      outcome: 'DISCLOSED',
      reasonCode: null,
      source: 'rnpp',
      correlationId: 'older-entry',
      jobId: null,
    });
    const [older, self] = (await myLog(Y)).entries;
    expect(older.sources).toEqual([{ source: 'rnpp', items: ['name', 'birth'], failedItems: [] }]);
    expect(self.channel).toBe('self');

    const res = await request(`${broker.baseUrl}/me/access-log.csv?lang=de`, { headers: await bearer(Y) });
    expect(res.statusCode).toBe(200);
    const rows = parseCsv(await res.body.text(), { columns: true, bom: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]).slice(-4)).toEqual([
      'reported',
      'itemSources',
      'itemsFailed',
      'sourceTitles',
    ]);
    expect(rows[0]).toMatchObject({
      itemSources: 'name:rnpp birth:rnpp',
      itemsFailed: '',
      sourceTitles: SOURCE_REGISTRY.source('rnpp')!.titles.de,
    });
    expect(rows[1].itemSources.split(' ')).toEqual(
      expect.arrayContaining(['name:rnpp', 'affiliation:ccss', 'businessRoles:rcs']),
    );
    expect(rows[1].sourceTitles.split('; ')).toEqual(SOURCE_REGISTRY.sources.map((s) => s.titles.de));

    const json = await request(`${broker.baseUrl}/me/access-log.json`, { headers: await bearer(Y) });
    const doc = (await json.body.json()) as { entries: Entry[] };
    expect(doc.entries[1].sources.map((s) => s.source)).toEqual(['rnpp', 'ccss', 'rcs']);
  });

  it('gives the other registers’ data when one fails (partial answer), and one entry naming what it did not deliver', async () => {
    await registers.rcs.setKnobs({ failureRate: 1 });
    try {
      const before = (await myLog(X)).totalCount;
      const r = await myData(X);
      expect(r.status).toBe(200);
      expect(r.body.data!.myData).toEqual({
        matricule: X,
        surname: sim.population.get(X)!.surname,
        affiliations: registers.ccss.register.affiliationsOf(X),
        businessRoles: null,
      });
      expect(r.body.errors).toEqual([
        expect.objectContaining({
          path: ['myData', 'businessRoles'],
          extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', source: 'rcs' }),
        }),
      ]);
      const log = await myLog(X);
      expect(log.totalCount).toBe(before + 1);
      const [self] = log.entries;
      expect(self.outcome).toBe('DISCLOSED');
      expect(self.itemsDisclosed).toContain('affiliation');
      expect(self.itemsDisclosed).not.toContain('businessRoles');
      expect(self.sources).toEqual([
        { source: 'rnpp', items: RNPP_ITEMS, failedItems: [] },
        { source: 'ccss', items: ['affiliation'], failedItems: [] },
        { source: 'rcs', items: ['businessRoles'], failedItems: ['businessRoles'] },
      ]);
    } finally {
      await registers.rcs.setKnobs({ failureRate: 0 });
    }
  });

  it('gives my civil data and roles when the CCSS is down altogether', async () => {
    // let the RCS breaker of the previous test close again
    await new Promise((r) => setTimeout(r, 150));
    await registers.ccss.close();
    const r = await myData(X);
    expect(r.status).toBe(200);
    expect(r.body.data!.myData).toEqual({
      matricule: X,
      surname: sim.population.get(X)!.surname,
      affiliations: null,
      businessRoles: registers.rcs.register.rolesOf(X),
    });
    expect(r.body.errors).toEqual([
      expect.objectContaining({
        path: ['myData', 'affiliations'],
        extensions: expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', source: 'ccss' }),
      }),
    ]);
    const [self] = (await myLog(X)).entries;
    expect(self.sources.find((s) => s.source === 'ccss')).toEqual({
      source: 'ccss',
      items: ['affiliation'],
      failedItems: ['affiliation'],
    });
  });
});
