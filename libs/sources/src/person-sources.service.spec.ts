import { BrokerError, ErrorCode } from '@broker/errors';
import { SOURCE_REGISTRY } from './catalogue';
import {
  NoSourceAnswered,
  PersonNotFound,
  PersonSourcesService,
  sourcesAskedBy,
} from './person-sources.service';
import type { SourceAdapter } from './source-adapter';

const M = '1980010112345';

/** What each stub register holds for M: every field of its items, and a few more it should never give. */
const RECORDS: Record<string, Record<string, unknown>> = {
  rnpp: {
    matricule: M,
    surname: 'Pereira',
    givenNames: ['Ana'],
    birthDate: '1980-01-01',
    birthPlace: { locality: 'Luxembourg', country: 'LU' },
    address: { street: 'Rue Haute', commune: 'Luxembourg' },
  },
  ccss: { affiliations: [{ status: 'EMPLOYED' }] },
  rcs: { businessRoles: [] },
};

type Answer = (fields: readonly string[]) => Promise<Record<string, unknown>>;

/** A stub register: answers with `answer` (default: its whole record, asked fields or not) and records the calls. */
class StubAdapter implements SourceAdapter {
  readonly calls: { matricule: string; fields: readonly string[] }[] = [];

  constructor(
    readonly name: string,
    private answer: Answer = () => Promise.resolve({ ...RECORDS[name] }),
  ) {}

  fetch(matricule: string, registerFields: readonly string[]): Promise<Record<string, unknown>> {
    this.calls.push({ matricule, fields: registerFields });
    return this.answer(registerFields);
  }

  isReady(): Promise<boolean> {
    return Promise.resolve(true);
  }

  answers(answer: Answer): this {
    this.answer = answer;
    return this;
  }
}

const unavailable = (source: string, problem: string) =>
  new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not answer; try again later.', {
    source,
    problem,
  });
const fails = (e: unknown) => () => Promise.reject(e);

/** Resolves to what `p` throws. */
async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

function setUp() {
  const rnpp = new StubAdapter('rnpp');
  const ccss = new StubAdapter('ccss');
  const rcs = new StubAdapter('rcs');
  return { rnpp, ccss, rcs, service: new PersonSourcesService([rcs, rnpp, ccss]) };
}

describe('PersonSourcesService', () => {
  describe('reading', () => {
    it('asks every source an item needs for just its register fields, and answers all of them', async () => {
      const { rnpp, ccss, rcs, service } = setUp();
      const read = await service.read(M, ['businessRoles', 'name', 'affiliation', 'birth']);
      expect(rnpp.calls).toEqual([
        { matricule: M, fields: ['surname', 'givenNames', 'birthDate', 'birthPlace'] },
      ]);
      expect(ccss.calls).toEqual([{ matricule: M, fields: ['affiliations'] }]);
      expect(rcs.calls).toEqual([{ matricule: M, fields: ['businessRoles'] }]);
      expect(read).toEqual({
        values: {
          matricule: M,
          surname: 'Pereira',
          givenNames: ['Ana'],
          birthDate: '1980-01-01',
          birthPlace: { locality: 'Luxembourg', country: 'LU' },
          affiliations: [{ status: 'EMPLOYED' }],
          businessRoles: [],
        },
        sources: ['rnpp', 'ccss', 'rcs'],
        disclosed: ['name', 'birth', 'affiliation', 'businessRoles'],
        failures: [],
      });
    });

    it('calls the sources in parallel: each is asked before any has answered', async () => {
      const { rnpp, ccss, rcs, service } = setUp();
      const gates: (() => void)[] = [];
      for (const a of [rnpp, ccss, rcs]) {
        a.answers(
          (fields) =>
            new Promise((resolve) =>
              gates.push(() => resolve(Object.fromEntries(fields.map((f) => [f, RECORDS[a.name][f]])))),
            ),
        );
      }
      const pending = service.read(M, ['name', 'affiliation', 'businessRoles']);
      await new Promise((r) => setImmediate(r));
      expect([rnpp.calls.length, ccss.calls.length, rcs.calls.length]).toEqual([1, 1, 1]);
      // answered in the reverse order: the result still follows the catalogue
      for (const open of gates.reverse()) open();
      expect((await pending).disclosed).toEqual(['name', 'affiliation', 'businessRoles']);
    });

    it('calls only the sources whose items are asked', async () => {
      const { rnpp, ccss, rcs, service } = setUp();
      const read = await service.read(M, ['affiliation']);
      expect([rnpp.calls.length, ccss.calls.length, rcs.calls.length]).toEqual([0, 1, 0]);
      expect(read.sources).toEqual(['ccss']);
      expect(read.values).toEqual({ matricule: M, affiliations: [{ status: 'EMPLOYED' }] });
    });

    it('asks the authoritative source alone, for no field, when no item is asked', async () => {
      const { rnpp, ccss, rcs, service } = setUp();
      const read = await service.read(M, []);
      expect(rnpp.calls).toEqual([{ matricule: M, fields: [] }]);
      expect([ccss.calls.length, rcs.calls.length]).toEqual([0, 0]);
      expect(read).toEqual({ values: { matricule: M }, sources: ['rnpp'], disclosed: [], failures: [] });
    });

    it('lets out only the fields of the items asked, whatever an adapter returns (defence in depth)', async () => {
      const { rnpp, ccss, service } = setUp();
      rnpp.answers(() => Promise.resolve({ ...RECORDS.rnpp, matricule: '1990020254321', secret: 'x' }));
      // a register answering another source's field, and a field of an item not asked
      ccss.answers(() => Promise.resolve({ ...RECORDS.ccss, surname: 'Forged', businessRoles: ['x'] }));
      const read = await service.read(M, ['name', 'affiliation']);
      expect(read.values).toEqual({
        matricule: M,
        surname: 'Pereira',
        givenNames: ['Ana'],
        affiliations: [{ status: 'EMPLOYED' }],
      });
    });
  });

  describe('failures', () => {
    it("keeps the other sources' items when one source fails, and names its items, fields and error", async () => {
      const { ccss, service } = setUp();
      const error = unavailable('ccss', 'timeout');
      ccss.answers(fails(error));
      const read = await service.read(M, ['name', 'affiliation', 'businessRoles']);
      expect(read.values).toEqual({
        matricule: M,
        surname: 'Pereira',
        givenNames: ['Ana'],
        businessRoles: [],
      });
      expect(read.sources).toEqual(['rnpp', 'ccss', 'rcs']);
      expect(read.disclosed).toEqual(['name', 'businessRoles']);
      expect(read.failures).toEqual([
        { source: 'ccss', items: ['affiliation'], fields: ['affiliations'], error },
      ]);
      expect(read.failures[0].error).toBe(error);
    });

    it('keeps the other sources when the authoritative one fails for another reason than not found', async () => {
      const { rnpp, service } = setUp();
      rnpp.answers(fails(new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'down', { source: 'rnpp' })));
      const read = await service.read(M, ['name', 'birth', 'businessRoles']);
      expect(read.disclosed).toEqual(['businessRoles']);
      expect(read.failures.map((f) => [f.source, f.items, f.fields])).toEqual([
        ['rnpp', ['name', 'birth'], ['surname', 'givenNames', 'birthDate', 'birthPlace']],
      ]);
      expect(read.values).toEqual({ matricule: M, businessRoles: [] });
    });

    it('refuses the whole read on PERSON_NOT_FOUND from the authoritative source, though the others answered', async () => {
      const { rnpp, service } = setUp();
      const notFound = new BrokerError(ErrorCode.PERSON_NOT_FOUND, 'unknown', { source: 'rnpp' });
      rnpp.answers(fails(notFound));
      const e = await thrown(service.read(M, ['name', 'affiliation', 'businessRoles']));
      expect(e).toBeInstanceOf(PersonNotFound);
      expect(e).toMatchObject({ code: ErrorCode.PERSON_NOT_FOUND, details: { source: 'rnpp' } });
      // for the log entry: every source asked, in catalogue order
      expect(sourcesAskedBy(e)).toEqual(['rnpp', 'ccss', 'rcs']);
    });

    it('turns PERSON_NOT_FOUND from another source into a failure of its own items only', async () => {
      const { rcs, service } = setUp();
      rcs.answers(fails(new BrokerError(ErrorCode.PERSON_NOT_FOUND, 'unknown', { source: 'rcs' })));
      const read = await service.read(M, ['name', 'businessRoles']);
      expect(read.disclosed).toEqual(['name']);
      expect(read.failures).toHaveLength(1);
      expect(read.failures[0].error.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(read.failures[0].error.details).toEqual({ problem: 'refused', source: 'rcs' });
    });

    it('throws NoSourceAnswered, with every failure, when every source asked failed', async () => {
      const { ccss, rcs, service } = setUp();
      ccss.answers(fails(unavailable('ccss', 'malformed')));
      rcs.answers(fails(unavailable('rcs', 'credential')));
      const e = await thrown(service.read(M, ['affiliation', 'businessRoles']));
      expect(e).toBeInstanceOf(NoSourceAnswered);
      const none = e as NoSourceAnswered;
      expect(none.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(none.details).toEqual({ source: 'ccss', problem: 'malformed' });
      expect(none.failures.map((f) => [f.source, f.items])).toEqual([
        ['ccss', ['affiliation']],
        ['rcs', ['businessRoles']],
      ]);
    });

    it('throws NoSourceAnswered when the authoritative source alone was asked and failed', async () => {
      const { rnpp, service } = setUp();
      rnpp.answers(fails(new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'down', { source: 'rnpp' })));
      const e = await thrown(service.read(M, ['name']));
      expect(e).toBeInstanceOf(NoSourceAnswered);
      expect((e as NoSourceAnswered).details).toEqual({ source: 'rnpp' });
    });

    it('names the failing source in every error, whatever the adapter said, and keeps its problem', async () => {
      const { rnpp, ccss, rcs, service } = setUp();
      ccss.answers(fails(new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'down', { problem: 'timeout' })));
      rcs.answers(fails(unavailable('rnpp', 'transport'))); // an adapter naming another source
      rnpp.answers(() => Promise.resolve(RECORDS.rnpp));
      const read = await service.read(M, ['name', 'affiliation', 'businessRoles']);
      expect(read.failures.map((f) => [f.error.code, f.error.details])).toEqual([
        [ErrorCode.SOURCE_UNAVAILABLE, { problem: 'timeout', source: 'ccss' }],
        [ErrorCode.SOURCE_UNAVAILABLE, { problem: 'transport', source: 'rcs' }],
      ]);
    });

    it('makes any other coded error of an adapter SOURCE_UNAVAILABLE naming its source', async () => {
      const { ccss, service } = setUp();
      ccss.answers(fails(new BrokerError(ErrorCode.INTERNAL_ERROR, 'oops', { hint: 'x' })));
      const read = await service.read(M, ['name', 'affiliation']);
      expect(read.failures[0].error.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(read.failures[0].error.details).toEqual({ problem: 'refused', source: 'ccss' });
    });

    it('lets an error that is not a BrokerError through (an adapter bug is not a register failure)', async () => {
      const { rcs, service } = setUp();
      const bug = new TypeError('cannot read properties of undefined');
      rcs.answers(fails(bug));
      expect(await thrown(service.read(M, ['name', 'businessRoles']))).toBe(bug);
    });
  });

  describe('at boot', () => {
    it('lists the adapters in catalogue order, whatever the order they were bound in', () => {
      expect(
        setUp()
          .service.list()
          .map((a) => a.name),
      ).toEqual(SOURCE_REGISTRY.sources.map((s) => s.name));
    });

    it('refuses to start when a catalogue source has no adapter', () => {
      expect(() => new PersonSourcesService([new StubAdapter('rnpp'), new StubAdapter('ccss')])).toThrow(
        'no adapter bound for source(s) rcs',
      );
      expect(() => new PersonSourcesService([])).toThrow('no adapter bound for source(s) rnpp, ccss, rcs');
    });

    it('refuses to start when a source has two adapters', () => {
      const adapters = ['rnpp', 'ccss', 'rcs', 'ccss'].map((n) => new StubAdapter(n));
      expect(() => new PersonSourcesService(adapters)).toThrow('source ccss has two adapters');
    });

    it('refuses to start with an adapter for a source the catalogue does not know', () => {
      const adapters = ['rnpp', 'ccss', 'rcs', 'dgfip'].map((n) => new StubAdapter(n));
      expect(() => new PersonSourcesService(adapters)).toThrow('adapter dgfip has no catalogue entry');
    });
  });
});
