import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, ErrorCode } from '@broker/errors';
import { SOURCE_REGISTRY, type SourceRegistry } from './catalogue';
import { SOURCE_ADAPTERS, type SourceAdapter } from './source-adapter';
import { inSpan, SPAN_ATTR, tracingEnabled } from '@broker/telemetry';
import { SourceCallStats, type SourceCallCount, type SourceCallListener } from './source-call-stats';

/** One source's part of a person read that failed: its items and fields are left out of the answer. */
export interface SourceFailure {
  source: string;
  items: string[];
  /** The GraphQL `Person` fields of those items. */
  fields: string[];
  /** SOURCE_UNAVAILABLE with `details.source` naming the source. */
  error: BrokerError;
}

/** A person read across sources: the fields that came back, and what failed. */
export interface SourcedPerson {
  /** `matricule` plus the values of the fields of the items disclosed. */
  values: Record<string, unknown> & { matricule: string };
  /** Sources asked, in catalogue order. */
  sources: string[];
  /** Items answered, in catalogue order. */
  disclosed: string[];
  failures: SourceFailure[];
}

/**
 * Reads one person from every source the items need, in parallel, each through its own adapter
 * (own timeout, retries and circuit breaker). A source that fails loses its own items only; the
 * read throws when every source asked failed (nothing to disclose) or when an authoritative
 * source says the person does not exist (PERSON_NOT_FOUND refuses the whole request).
 */
@Injectable()
export class PersonSourcesService {
  private readonly adapters = new Map<string, SourceAdapter>();
  private readonly calls = new SourceCallStats();

  constructor(
    @Inject(SOURCE_ADAPTERS) adapters: SourceAdapter[],
    private readonly registry: SourceRegistry = SOURCE_REGISTRY,
  ) {
    for (const a of adapters) {
      if (!registry.source(a.name)) throw new Error(`adapter ${a.name} has no catalogue entry`);
      if (this.adapters.has(a.name)) throw new Error(`source ${a.name} has two adapters`);
      this.adapters.set(a.name, a);
    }
    // a catalogue source without an adapter would fail every read of its items: refuse to boot
    const missing = registry.sources.filter((s) => !this.adapters.has(s.name)).map((s) => s.name);
    if (missing.length) throw new Error(`no adapter bound for source(s) ${missing.join(', ')}`);
  }

  /** The adapter of each source, in catalogue order (health probes, metrics). */
  list(): SourceAdapter[] {
    return this.registry.sources.map((s) => this.adapters.get(s.name)!);
  }

  /** True for the register of who exists (the RNPP): readiness waits for it, not for the others. */
  isAuthoritative(source: string): boolean {
    return this.registry.source(source)?.authoritative === true;
  }

  /** This process's calls to each source so far, by outcome (metrics; no personal data). */
  callCounts(): SourceCallCount[] {
    return this.calls.snapshot();
  }

  /** Tells `listener` of every call's duration from now on (the metrics' histogram). */
  observeCalls(listener: SourceCallListener): void {
    this.calls.listener = listener;
  }

  /** Reads `items` (catalogue names) of the person `subject`; see the class comment for failures. */
  async read(subject: string, items: Iterable<string>): Promise<SourcedPerson> {
    const plans = this.registry.plan(items);
    const started = performance.now();
    const took = () => (performance.now() - started) / 1000;
    const outcomes = await Promise.all(
      plans.map((p) =>
        this.tracedFetch(p.source, subject, p.registerFields).then(
          (values) => {
            this.calls.record(p.source, 'ok', undefined, took());
            return { plan: p, values, error: undefined };
          },
          (error: unknown) => {
            this.countFailure(p.source, error, took());
            return { plan: p, values: undefined, error };
          },
        ),
      ),
    );
    const person: Record<string, unknown> & { matricule: string } = { matricule: subject };
    const disclosed: string[] = [];
    const failures: SourceFailure[] = [];
    for (const { plan, values, error } of outcomes) {
      if (error !== undefined) {
        if (!(error instanceof BrokerError)) throw error;
        if (error.code === ErrorCode.PERSON_NOT_FOUND && this.registry.source(plan.source)?.authoritative)
          throw new PersonNotFound(
            error,
            plans.map((p) => p.source),
          );
        failures.push({
          source: plan.source,
          items: plan.items,
          fields: plan.items.flatMap((i) => this.registry.item(i).fields),
          error: sourceError(error, plan.source),
        });
        continue;
      }
      // only the fields of the items asked leave, whatever the adapter returned (defence in depth)
      for (const i of plan.items) for (const f of this.registry.item(i).fields) person[f] = values![f];
      disclosed.push(...plan.items);
    }
    if (failures.length === outcomes.length) throw new NoSourceAnswered(failures);
    return { values: person, sources: plans.map((p) => p.source), disclosed, failures };
  }

  /**
   * One register call in its own span (a child of the request's or the chunk's): the source's
   * name and the outcome code, never the subject nor the register's URL (the RNPP's holds the
   * matricule).
   */
  private tracedFetch(
    source: string,
    subject: string,
    fields: readonly string[],
  ): Promise<Record<string, unknown>> {
    const adapter = this.adapters.get(source)!;
    if (!tracingEnabled()) return adapter.fetch(subject, fields);
    return inSpan(`register ${source}`, { [SPAN_ATTR.source]: source }, async (set) => {
      try {
        return await adapter.fetch(subject, fields);
      } catch (e) {
        const problem = e instanceof BrokerError ? e.details?.problem : undefined;
        if (typeof problem === 'string') set({ [SPAN_ATTR.problem]: problem });
        throw e;
      }
    });
  }

  /** Counts a failed call with the problem its SOURCE_UNAVAILABLE will carry (see sourceError). */
  private countFailure(source: string, error: unknown, seconds: number): void {
    if (!(error instanceof BrokerError)) return this.calls.record(source, 'failed', 'internal', seconds);
    if (error.code === ErrorCode.PERSON_NOT_FOUND && this.isAuthoritative(source))
      return this.calls.record(source, 'not_found', undefined, seconds);
    const problem = error.code === ErrorCode.SOURCE_UNAVAILABLE ? error.details?.problem : 'refused';
    this.calls.record(source, 'failed', typeof problem === 'string' ? problem : undefined, seconds);
  }
}

/** The failure as SOURCE_UNAVAILABLE naming its source (whatever the adapter said). */
function sourceError(e: BrokerError, source: string): BrokerError {
  if (e.code === ErrorCode.SOURCE_UNAVAILABLE && e.details?.source === source) return e;
  return new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not answer; try again later.', {
    ...(e.code === ErrorCode.SOURCE_UNAVAILABLE ? e.details : { problem: 'refused' }),
    source,
  });
}

/**
 * Every source asked failed: nothing to disclose. SOURCE_UNAVAILABLE with the first failure's
 * details (`source`, `problem`), and every failure for the log entry.
 */
export class NoSourceAnswered extends BrokerError {
  constructor(readonly failures: SourceFailure[]) {
    super(ErrorCode.SOURCE_UNAVAILABLE, failures[0].error.message, failures[0].error.details);
  }
}

/**
 * The authoritative source knows no such person: the whole request is refused. The original
 * error's message and details, plus every source asked (the others answered in parallel), for
 * the log entry.
 */
export class PersonNotFound extends BrokerError {
  constructor(
    original: BrokerError,
    readonly sourcesAsked: string[],
  ) {
    super(ErrorCode.PERSON_NOT_FOUND, original.message, original.details);
  }
}

/** The sources a refused read asked, when the error says (PersonNotFound, NoSourceAnswered). */
export function sourcesAskedBy(e: unknown): string[] | null {
  if (e instanceof PersonNotFound) return e.sourcesAsked;
  if (e instanceof NoSourceAnswered) return e.failures.map((f) => f.source);
  return null;
}

/**
 * What a refusal's log entry says of the registers, whatever refused the request: the sources
 * asked (none when it was refused before any was) and the items whose source failed.
 */
export function refusedRead(e: unknown): { sources: string[] | null; itemsFailed: string[] } {
  const asked = sourcesAskedBy(e);
  const itemsFailed = e instanceof NoSourceAnswered ? e.failures.flatMap((f) => f.items) : [];
  if (asked) return { sources: asked, itemsFailed };
  // a register's own error (an adapter that failed before the read was planned) names its source
  const source =
    e instanceof BrokerError &&
    (e.code === ErrorCode.PERSON_NOT_FOUND || e.code === ErrorCode.SOURCE_UNAVAILABLE)
      ? (e.details?.source as string | undefined)
      : undefined;
  return { sources: source ? [source] : null, itemsFailed };
}
