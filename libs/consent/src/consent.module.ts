import { Module } from '@nestjs/common';
import { ConsentStoreModule } from './consent-store.module';
import { ConsentVerifierService } from './consent-verifier.service';
import { MemberAuthenticatorService } from './member-authenticator.service';
import { StaffAuthenticatorService } from './staff-authenticator.service';

/** Verification of member assertions and consent tokens (trust, config and the database are global). */
@Module({
  imports: [ConsentStoreModule],
  providers: [ConsentVerifierService, MemberAuthenticatorService, StaffAuthenticatorService],
  exports: [
    ConsentVerifierService,
    MemberAuthenticatorService,
    StaffAuthenticatorService,
    ConsentStoreModule,
  ],
})
export class ConsentModule {}
