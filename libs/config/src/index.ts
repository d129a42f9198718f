export * from './broker-config';
export * from './config.module';
