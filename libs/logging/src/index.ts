export * from './broker-logger';
export * from './log-redaction';
