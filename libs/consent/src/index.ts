export * from './consent';
export * from './consent-verifier.service';
export * from './member-authenticator.service';
export * from './consent.module';
export * from './signed-token';
export * from './staff-authenticator.service';
export * from './consent-revocations';
