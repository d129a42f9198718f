export * from './token-minter';
