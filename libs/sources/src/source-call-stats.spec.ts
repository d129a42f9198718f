import { BrokerError, ErrorCode } from '@broker/errors';
import { SourceRegistry } from './catalogue';
import { CCSS_CATALOGUE } from './ccss/ccss.catalogue';
import { PersonSourcesService } from './person-sources.service';
import { RCS_CATALOGUE } from './rcs/rcs.catalogue';
import { RNPP_CATALOGUE } from './rnpp/rnpp.catalogue';
import type { SourceAdapter } from './source-adapter';
import { SourceCallStats } from './source-call-stats';

describe('SourceCallStats', () => {
  it('counts calls by source and outcome, failures by problem', () => {
    const stats = new SourceCallStats();
    stats.record('rnpp', 'ok');
    stats.record('ccss', 'failed', 'timeout');
    stats.record('rnpp', 'ok');
    stats.record('ccss', 'failed', 'circuit-open');
    expect(stats.snapshot()).toEqual([
      { source: 'rnpp', outcome: 'ok', count: 2 },
      { source: 'ccss', outcome: 'failed', problem: 'timeout', count: 1 },
      { source: 'ccss', outcome: 'failed', problem: 'circuit-open', count: 1 },
    ]);
  });

  it('keeps a problem label bounded and value-free: anything but a short word counts as other', () => {
    const stats = new SourceCallStats();
    stats.record('rcs', 'failed', 'credential');
    stats.record('rcs', 'failed', 'person 1893120105732 "x"');
    stats.record('rcs', 'failed');
    stats.record('rcs', 'ok', 'ignored');
    expect(stats.snapshot()).toEqual([
      { source: 'rcs', outcome: 'failed', problem: 'credential', count: 1 },
      { source: 'rcs', outcome: 'failed', problem: 'other', count: 2 },
      { source: 'rcs', outcome: 'ok', count: 1 },
    ]);
  });

  it('hands out copies: a snapshot does not move with later calls', () => {
    const stats = new SourceCallStats();
    stats.record('rnpp', 'ok');
    const before = stats.snapshot();
    stats.record('rnpp', 'ok');
    expect(before[0].count).toBe(1);
    expect(stats.snapshot()[0].count).toBe(2);
  });
});

const SUBJECT = '1893120105732';

/** An adapter that answers each asked field with its name, or fails with `error`. */
function adapter(name: string, error?: BrokerError): SourceAdapter {
  return {
    name,
    fetch: (_m, fields) =>
      error ? Promise.reject(error) : Promise.resolve(Object.fromEntries(fields.map((f) => [f, f]))),
    isReady: () => Promise.resolve(!error),
  };
}

const unavailable = (source: string, problem: string): BrokerError =>
  new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'down', { source, problem });

function service(ccssError?: BrokerError, rnppError?: BrokerError): PersonSourcesService {
  return new PersonSourcesService(
    [adapter('rnpp', rnppError), adapter('ccss', ccssError), adapter('rcs')],
    new SourceRegistry([RNPP_CATALOGUE, CCSS_CATALOGUE, RCS_CATALOGUE]),
  );
}

describe('PersonSourcesService: its calls, counted for the metrics', () => {
  it('lists the adapters in catalogue order and knows which source is authoritative', () => {
    const s = service();
    expect(s.list().map((a) => a.name)).toEqual(['rnpp', 'ccss', 'rcs']);
    expect(['rnpp', 'ccss', 'rcs', 'unknown'].map((n) => s.isAuthoritative(n))).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it('counts each source called by outcome, failures by the problem the answer carries', async () => {
    const s = service(unavailable('ccss', 'timeout'));
    const read = await s.read(SUBJECT, ['name', 'affiliation', 'businessRoles']);
    expect(read.failures.map((f) => [f.source, f.error.details?.problem])).toEqual([['ccss', 'timeout']]);
    await s.read(SUBJECT, ['name']);
    expect(s.callCounts()).toEqual(
      expect.arrayContaining([
        { source: 'rnpp', outcome: 'ok', count: 2 },
        { source: 'rcs', outcome: 'ok', count: 1 },
        { source: 'ccss', outcome: 'failed', problem: 'timeout', count: 1 },
      ]),
    );
    expect(s.callCounts()).toHaveLength(3);
  });

  it('counts a person unknown to the authoritative source as not_found, and to another as failed (refused)', async () => {
    const notFound = new BrokerError(ErrorCode.PERSON_NOT_FOUND, 'no such person');
    const rnppUnknown = service(undefined, notFound);
    await expect(rnppUnknown.read(SUBJECT, ['name', 'affiliation'])).rejects.toMatchObject({
      code: ErrorCode.PERSON_NOT_FOUND,
    });
    expect(rnppUnknown.callCounts()).toEqual(
      expect.arrayContaining([
        { source: 'rnpp', outcome: 'not_found', count: 1 },
        { source: 'ccss', outcome: 'ok', count: 1 },
      ]),
    );
    const ccssUnknown = service(notFound);
    await ccssUnknown.read(SUBJECT, ['affiliation', 'name']);
    expect(ccssUnknown.callCounts()).toContainEqual({
      source: 'ccss',
      outcome: 'failed',
      problem: 'refused',
      count: 1,
    });
  });

  it('counts every call when every source fails (NoSourceAnswered)', async () => {
    const s = service(unavailable('ccss', 'transport'), unavailable('rnpp', 'circuit-open'));
    await expect(s.read(SUBJECT, ['name', 'affiliation'])).rejects.toMatchObject({
      code: ErrorCode.SOURCE_UNAVAILABLE,
    });
    expect(s.callCounts()).toEqual(
      expect.arrayContaining([
        { source: 'rnpp', outcome: 'failed', problem: 'circuit-open', count: 1 },
        { source: 'ccss', outcome: 'failed', problem: 'transport', count: 1 },
      ]),
    );
  });
});
