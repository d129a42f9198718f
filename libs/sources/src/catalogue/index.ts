export * from './source-descriptor';
export * from './source-registry';
export * from './catalogue';
