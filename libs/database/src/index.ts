export * from './database';
export * from './database.module';
export * from './transaction';
export * from './runtime-role';
export * from './pg-client';
