import { Inject, Injectable, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig, type RegisterSettings } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { CcssSoapSource } from './ccss/ccss-soap.source';
import { PersonSourcesService } from './person-sources.service';
import { PERSON_SOURCE } from './person-source';
import { RcsHttpSource } from './rcs/rcs-http.source';
import type { RegisterCallOptions } from './register-call-policy';
import { RnppSourceProvider } from './rnpp/rnpp-http.source';
import { RnppAdapter } from './rnpp/rnpp.adapter';
import { SOURCE_ADAPTERS, type SourceAdapter } from './source-adapter';
import { SourceMetrics } from './source-metrics';

function callOptions(s: RegisterSettings): RegisterCallOptions {
  return {
    url: s.url,
    attemptTimeoutMs: s.attemptTimeoutMs,
    totalTimeoutMs: s.totalTimeoutMs,
    maxAttempts: s.maxAttempts,
    halfOpenAfterMs: s.breakerHalfOpenMs,
  };
}

/** A source the broker cannot call as configured: each read fails with `problem`, and it is never ready. */
class UnconfiguredSource implements SourceAdapter {
  constructor(
    readonly name: string,
    private readonly problem: string,
  ) {}
  fetch(): Promise<Record<string, unknown>> {
    return Promise.reject(
      new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register is not configured; try again later.', {
        source: this.name,
        problem: this.problem,
      }),
    );
  }
  isReady(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/**
 * The adapters of the registers other than the RNPP, built from the configuration. An RCS key
 * file that cannot be read does not stop the boot: the RCS is reported not ready (readiness
 * says degraded, an alert follows), its fields fail with SOURCE_UNAVAILABLE (`credential`), and
 * every other register keeps answering, as they would if the RCS itself refused the key.
 */
@Injectable()
export class RegisterAdaptersProvider implements OnModuleDestroy {
  private readonly logger = new Logger('Sources');
  readonly ccss: CcssSoapSource;
  readonly rcs: RcsHttpSource | UnconfiguredSource;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.ccss = new CcssSoapSource(callOptions(config.ccss));
    try {
      this.rcs = new RcsHttpSource({ ...callOptions(config.rcs), apiKeyFile: config.rcs.apiKeyFile });
    } catch (e) {
      this.logger.error(
        `${(e as Error).message}: the RCS is not ready and its fields fail until it is fixed and the gateway restarted`,
      );
      this.rcs = new UnconfiguredSource('rcs', 'credential');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.ccss.close();
    if (this.rcs instanceof RcsHttpSource) await this.rcs.close();
  }
}

/**
 * The authentic sources: one adapter per catalogue source (SOURCE_ADAPTERS), read through
 * PersonSourcesService. PERSON_SOURCE stays bound to the RNPP adapter for what only the
 * population register answers (the demo's list of persons).
 */
@Module({
  providers: [
    RnppSourceProvider,
    RegisterAdaptersProvider,
    { provide: PERSON_SOURCE, inject: [RnppSourceProvider], useFactory: (p: RnppSourceProvider) => p.source },
    {
      provide: SOURCE_ADAPTERS,
      inject: [RnppSourceProvider, RegisterAdaptersProvider],
      useFactory: (rnpp: RnppSourceProvider, others: RegisterAdaptersProvider): SourceAdapter[] => [
        new RnppAdapter(rnpp.source),
        others.ccss,
        others.rcs,
      ],
    },
    {
      provide: PersonSourcesService,
      inject: [SOURCE_ADAPTERS],
      useFactory: (a: SourceAdapter[]) => new PersonSourcesService(a),
    },
    SourceMetrics,
  ],
  exports: [PERSON_SOURCE, SOURCE_ADAPTERS, PersonSourcesService],
})
export class SourcesModule {}
