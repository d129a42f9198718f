export * from './export-format';
export * from './broker-signer';
export * from './checkpoint.service';
export * from './audit-export.service';
export * from './audit.module';
export * from './export-verifier';
export * from './export-jobs.service';
