import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { BrokerError } from '@broker/errors';
import { tracingEnabled } from './telemetry-sdk';

/** The broker's span attributes (beside OpenTelemetry's own names where one fits). */
export const SPAN_ATTR = {
  correlationId: 'broker.correlation_id',
  memberId: 'broker.member_id',
  operation: 'broker.operation',
  operationType: 'graphql.operation.type',
  outcome: 'broker.outcome',
  source: 'broker.source',
  problem: 'broker.source.problem',
  jobId: 'broker.job_id',
  chunk: 'broker.chunk',
  entries: 'broker.log.entries',
} as const;

/** The outcome of a span that completed: the coded errors' vocabulary, OK for success. */
export const OUTCOME_OK = 'OK';

const TRACER = 'once-only-broker';
const REDACTED = '[redacted]';
/** A run of 13 digits (a matricule) or a compact JWS (a consent or member token). */
const PERSONAL = /\d{13}|eyJ[\w-]*\.[\w-]*/;

function safeValue(v: AttributeValue): AttributeValue {
  if (typeof v === 'string') return PERSONAL.test(v) ? REDACTED : v;
  if (typeof v === 'number') return PERSONAL.test(String(v)) ? REDACTED : v;
  if (Array.isArray(v)) return v.map((x) => safeValue(x as AttributeValue)) as AttributeValue;
  return v;
}

/**
 * The attributes with any value that looks like a matricule or a token replaced. Defence in
 * depth: the broker's spans are given no such value, but a correlation id is the client's own
 * choice (X-Correlation-Id), and a span is exported to a collector outside the broker.
 */
export function safeAttributes(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out[k] = safeValue(v);
  return out;
}

/** The outcome code of a failure: a BrokerError's code, INTERNAL_ERROR for anything else. */
export function outcomeOf(e: unknown): string {
  return e instanceof BrokerError ? e.code : 'INTERNAL_ERROR';
}

/** A span in progress, for code that outlives one call (a request across Apollo's hooks). */
export interface OpenSpan {
  /** The context that makes this span the parent of the spans started within it. */
  readonly context: Context;
  set(attrs: Attributes): void;
  rename(name: string): void;
  /** Ends the span with its outcome code (an error status unless it is OK). */
  end(outcome: string): void;
}

function ending(span: Span, outcome: string): void {
  span.setAttribute(SPAN_ATTR.outcome, safeValue(outcome));
  // the code only: an exception's message or stack could quote what the request carried
  if (outcome !== OUTCOME_OK) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
}

/**
 * Opens a server span that continues the W3C trace context of `carrier` (request headers, a job's
 * payload) when it has one; undefined when tracing is off.
 */
export function openSpan(
  name: string,
  attrs: Attributes,
  carrier?: Record<string, unknown>,
  kind: SpanKind = SpanKind.SERVER,
): OpenSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : context.active();
  const span = trace.getTracer(TRACER).startSpan(name, { kind, attributes: safeAttributes(attrs) }, parent);
  return {
    context: trace.setSpan(parent, span),
    set: (a) => span.setAttributes(safeAttributes(a)),
    rename: (n) => span.updateName(n),
    end: (outcome) => ending(span, outcome),
  };
}

/** Runs `fn` with `open` as the active span (plainly when tracing is off). */
export function withinSpan<T>(open: OpenSpan | undefined, fn: () => T): T {
  return open ? context.with(open.context, fn) : fn();
}

/**
 * Runs `fn` in a child span of the active one, ended with OK or the failure's code. When tracing
 * is off it is `fn()` and nothing else: the hot path pays for no span, context or attribute.
 */
export async function inSpan<T>(
  name: string,
  attrs: Attributes,
  fn: (set: (attrs: Attributes) => void) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return fn(noop);
  return trace
    .getTracer(TRACER)
    .startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes: safeAttributes(attrs) }, async (span) => {
      try {
        const result = await fn((a) => span.setAttributes(safeAttributes(a)));
        ending(span, OUTCOME_OK);
        return result;
      } catch (e) {
        ending(span, outcomeOf(e));
        throw e;
      }
    });
}

function noop(): void {}

/** Sets attributes on the active span, if any (a chunk learns its job's correlation id after it starts). */
export function annotateActiveSpan(attrs: Attributes): void {
  if (tracingEnabled()) trace.getActiveSpan()?.setAttributes(safeAttributes(attrs));
}

/** The W3C trace context of the active span, to carry as data (a queue job); empty when off. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export function traceCarrier(): TraceCarrier {
  if (!tracingEnabled()) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const out: TraceCarrier = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}
