export * from './access-entry';
export * from './access-chain';
export * from './access-log.repository';
export * from './access-log-appender.service';
export * from './access-log-verifier';
export * from './access-log.module';
export * from './withdrawal-check';
export * from './entry-strings';
