export * from './trust-registry';
export * from './trust-file';
export * from './trust.module';
