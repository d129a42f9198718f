import { Module } from '@nestjs/common';
import { PERSON_SOURCE } from './person-source';
import { RnppSourceProvider } from './rnpp/rnpp-http.source';

/** Provides the PersonSource port, bound to the RNPP adapter. */
@Module({
  providers: [
    RnppSourceProvider,
    { provide: PERSON_SOURCE, inject: [RnppSourceProvider], useFactory: (p: RnppSourceProvider) => p.source },
  ],
  exports: [PERSON_SOURCE],
})
export class SourcesModule {}
