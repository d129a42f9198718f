import { Module } from '@nestjs/common';
import { ConsentVerifierService } from './consent-verifier.service';
import { MemberAuthenticatorService } from './member-authenticator.service';
import { StaffAuthenticatorService } from './staff-authenticator.service';

/** Verification of member assertions and consent tokens (trust and config are global). */
@Module({
  providers: [ConsentVerifierService, MemberAuthenticatorService, StaffAuthenticatorService],
  exports: [ConsentVerifierService, MemberAuthenticatorService, StaffAuthenticatorService],
})
export class ConsentModule {}
