import { context, trace } from '@opentelemetry/api';
import { BrokerError, ErrorCode } from '@broker/errors';
import { inSpan, openSpan, outcomeOf, safeAttributes, traceCarrier, withinSpan } from './spans';
import { startTelemetry, tracingEnabled } from './telemetry-sdk';

describe('safeAttributes (nothing personal leaves in a span)', () => {
  it('redacts a matricule or a compact JWS, wherever it sits in a value', () => {
    expect(
      safeAttributes({
        'broker.correlation_id': 'req-1980010112345-x',
        token: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
        list: ['rnpp', '1980010112345'],
        big: 1980010112345,
      }),
    ).toEqual({
      'broker.correlation_id': '[redacted]',
      token: '[redacted]',
      list: ['rnpp', '[redacted]'],
      big: '[redacted]',
    });
  });

  it('keeps what names no one: codes, sources, counts, uuids', () => {
    const attrs = {
      'broker.outcome': 'SOURCE_UNAVAILABLE',
      'broker.source': 'rnpp',
      'broker.log.entries': 25,
      'broker.job_id': 'c992a826-c3bc-410e-bd1b-4b2a426edb79',
      ok: true,
    };
    expect(safeAttributes(attrs)).toEqual(attrs);
  });
});

describe('outcomeOf', () => {
  it("is a BrokerError's code, INTERNAL_ERROR for anything else", () => {
    expect(outcomeOf(new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'x'))).toBe('SOURCE_UNAVAILABLE');
    expect(outcomeOf(new Error('boom 1980010112345'))).toBe('INTERNAL_ERROR');
  });
});

describe('when tracing is not configured', () => {
  it('starts no SDK: the API keeps its no-op tracer, the helpers only run the work', async () => {
    expect(startTelemetry('broker-gateway', {}).tracesEndpoint).toBeNull();
    expect(tracingEnabled()).toBe(false);
    const span = trace.getTracer('t').startSpan('s');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(openSpan('graphql', {})).toBeUndefined();
    expect(withinSpan(undefined, () => 42)).toBe(42);
    expect(await inSpan('register rnpp', {}, async () => 'values')).toBe('values');
    await expect(
      inSpan('register rnpp', {}, () => Promise.reject(new BrokerError(ErrorCode.PERSON_NOT_FOUND, 'x'))),
    ).rejects.toMatchObject({ code: ErrorCode.PERSON_NOT_FOUND });
    // a queued chunk carries nothing extra
    expect(traceCarrier()).toEqual({});
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
