import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { PERSON_BATCH_QUEUE, type PersonBatchChunkV1 } from './batch.types';
import { chunkJobId } from './chunk-dispatcher';

const contract = (f: string): object =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../../../contracts', f), 'utf8')) as object;

describe('queue contracts', () => {
  const ajv = addFormats(new Ajv2020({ strict: false }));

  it('the chunk payload the code writes is the one contracts/ describes', () => {
    const validate = ajv.compile(contract('person-batch-chunk.v1.schema.json'));
    const payload: PersonBatchChunkV1 = { v: 1, jobId: 'c992a826-c3bc-410e-bd1b-4b2a426edb79', chunk: 3 };
    expect(validate(payload)).toBe(true);
    expect(validate({ ...payload, matricule: '1980010112345' })).toBe(false);
    expect(validate({ ...payload, v: 2 })).toBe(false);
    // the optional W3C trace context of the request that queued it (tracing on)
    const traced: PersonBatchChunkV1 = {
      ...payload,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=1',
    };
    expect(validate(traced)).toBe(true);
    expect(validate({ ...payload, traceparent: '1980010112345' })).toBe(false);
  });

  it('names the queue and the job ids as contracts/queues.md does', () => {
    const md = readFileSync(path.resolve(__dirname, '../../../contracts/queues.md'), 'utf8');
    expect(md).toContain(`\`${PERSON_BATCH_QUEUE}\``);
    expect(chunkJobId('j', 4)).toBe('j_4');
    expect(md).toContain('`<jobId>_<chunk>`');
  });

  it('the batch event schema accepts a notice as the notifier builds it', () => {
    const validate = ajv.compile(contract('batch-event.schema.json'));
    expect(
      validate({
        iss: 'broker',
        aud: 'member',
        iat: 1,
        jti: 'j:COMPLETED',
        jobId: 'j',
        state: 'COMPLETED',
        total: 2,
        succeeded: 1,
        refused: 1,
        failed: 0,
        completedAt: '2026-11-23T10:00:00.000Z',
      }),
    ).toBe(true);
  });
});
