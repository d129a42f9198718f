export * from './token-minter';
export * from './test-database';
export * from './trust-fixture';
export * from './tcp-proxy';
