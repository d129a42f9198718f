export * from './data-items';
