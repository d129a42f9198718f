import { buildJobRegistry, JobRegistryError, parseWorkerQueues } from './job-registry';

class BatchProcessor {}
class ExportProcessor {}
class OtherExportProcessor {}

describe('job registry', () => {
  it('maps each consumed queue to its one processor', () => {
    const registry = buildJobRegistry(
      ['batch.v1', 'export.v2'],
      [
        { queue: 'batch.v1', processor: BatchProcessor },
        { queue: 'export.v2', processor: ExportProcessor },
      ],
    );
    expect([...registry.entries()]).toEqual([
      ['batch.v1', BatchProcessor],
      ['export.v2', ExportProcessor],
    ]);
  });

  it('leaves out processors of queues the worker does not consume', () => {
    const registry = buildJobRegistry(
      ['batch.v1'],
      [
        { queue: 'batch.v1', processor: BatchProcessor },
        { queue: 'export.v2', processor: ExportProcessor },
      ],
    );
    expect([...registry.keys()]).toEqual(['batch.v1']);
  });

  it('refuses a queue with no processor, naming it', () => {
    expect(() =>
      buildJobRegistry(['batch.v1', 'export.v1'], [{ queue: 'batch.v1', processor: BatchProcessor }]),
    ).toThrow(new JobRegistryError(['queue export.v1 has no processor']));
  });

  it('refuses a queue with two processors, naming both', () => {
    expect(() =>
      buildJobRegistry(
        ['export.v2'],
        [
          { queue: 'export.v2', processor: ExportProcessor },
          { queue: 'export.v2', processor: OtherExportProcessor },
        ],
      ),
    ).toThrow('queue export.v2 has 2 processors (ExportProcessor, OtherExportProcessor)');
  });

  it('reports every bad queue at once', () => {
    try {
      buildJobRegistry(['a', 'b'], []);
      throw new Error('expected a JobRegistryError');
    } catch (e) {
      expect((e as JobRegistryError).problems).toEqual([
        'queue a has no processor',
        'queue b has no processor',
      ]);
    }
  });

  it('reads WORKER_QUEUES, defaulting to every queue', () => {
    expect(parseWorkerQueues(undefined, ['a', 'b'])).toEqual(['a', 'b']);
    expect(parseWorkerQueues(' ', ['a', 'b'])).toEqual(['a', 'b']);
    expect(parseWorkerQueues('b, c', ['a', 'b'])).toEqual(['b', 'c']);
    expect(() => parseWorkerQueues('a,,b', ['a'])).toThrow(JobRegistryError);
  });
});
