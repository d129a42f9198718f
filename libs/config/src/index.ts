export * from './broker-config';
export * from './config.module';
export * from './redis-namespace';
