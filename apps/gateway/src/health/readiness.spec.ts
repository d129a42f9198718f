import { readinessReport, type ReadinessChecks, type SourceReadiness } from './readiness';

const SOURCES: SourceReadiness[] = [
  { name: 'rnpp', authoritative: true, up: true },
  { name: 'ccss', authoritative: false, up: true },
  { name: 'rcs', authoritative: false, up: true },
];

const ALL_UP: ReadinessChecks = {
  database: true,
  sources: SOURCES,
  accessLogWritable: true,
  queue: 'up',
};

/** ALL_UP with the named sources down. */
function down(...names: string[]): ReadinessChecks {
  return { ...ALL_UP, sources: SOURCES.map((s) => ({ ...s, up: !names.includes(s.name) })) };
}

describe('readinessReport', () => {
  it('is ready when the database, every source and the access log are up, naming each source', () => {
    expect(readinessReport(ALL_UP)).toEqual({
      ready: true,
      body: {
        status: 'ready',
        database: 'up',
        rnpp: 'up',
        ccss: 'up',
        rcs: 'up',
        accessLog: 'up',
        queue: 'up',
      },
    });
  });

  it('is not ready while the access log cannot take entries (appends failing or queue saturated)', () => {
    const r = readinessReport({ ...ALL_UP, accessLogWritable: false });
    expect(r.ready).toBe(false);
    expect(r.body).toMatchObject({ status: 'not ready', accessLog: 'down', database: 'up' });
  });

  it('is not ready when the database or the authoritative source is down, whatever the queue', () => {
    expect(readinessReport({ ...ALL_UP, database: false }).ready).toBe(false);
    expect(readinessReport(down('rnpp'))).toEqual({
      ready: false,
      body: expect.objectContaining({ status: 'not ready', rnpp: 'down', ccss: 'up' }) as unknown,
    });
    expect(readinessReport({ ...ALL_UP, queue: 'down' }).ready).toBe(true);
  });

  it('stays ready but says degraded when a non-authoritative source is down (partial answers work)', () => {
    expect(readinessReport(down('ccss'))).toEqual({
      ready: true,
      body: expect.objectContaining({ status: 'degraded', rnpp: 'up', ccss: 'down', rcs: 'up' }) as unknown,
    });
    expect(readinessReport(down('ccss', 'rcs')).body).toMatchObject({
      status: 'degraded',
      ccss: 'down',
      rcs: 'down',
    });
  });

  it('says not ready, not degraded, when the authoritative source is down beside another', () => {
    expect(readinessReport(down('rnpp', 'rcs'))).toMatchObject({
      ready: false,
      body: { status: 'not ready', rnpp: 'down', rcs: 'down' },
    });
  });
});
