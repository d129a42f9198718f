export * from './error-code';
export * from './broker-error';
