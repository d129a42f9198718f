export * from './hashes';
export * from './tree-geometry';
export * from './merkle-proofs';
export * from './merkle-verify';
export * from './compact-range';
export * from './memory-tree';
