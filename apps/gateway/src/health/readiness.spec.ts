import { readinessReport, type ReadinessChecks } from './readiness';

const ALL_UP: ReadinessChecks = {
  database: true,
  register: { name: 'rnpp', up: true },
  accessLogWritable: true,
  queue: 'up',
};

describe('readinessReport', () => {
  it('is ready when the database, the register and the access log are up', () => {
    expect(readinessReport(ALL_UP)).toEqual({
      ready: true,
      body: { status: 'ready', database: 'up', rnpp: 'up', accessLog: 'up', queue: 'up' },
    });
  });

  it('is not ready while the access log cannot take entries (appends failing or queue saturated)', () => {
    const r = readinessReport({ ...ALL_UP, accessLogWritable: false });
    expect(r.ready).toBe(false);
    expect(r.body).toMatchObject({ status: 'not ready', accessLog: 'down', database: 'up' });
  });

  it('is not ready when the database or the register is down, whatever the queue', () => {
    expect(readinessReport({ ...ALL_UP, database: false }).ready).toBe(false);
    expect(readinessReport({ ...ALL_UP, register: { name: 'rnpp', up: false } }).body).toMatchObject({
      status: 'not ready',
      rnpp: 'down',
    });
    expect(readinessReport({ ...ALL_UP, queue: 'down' }).ready).toBe(true);
  });
});
