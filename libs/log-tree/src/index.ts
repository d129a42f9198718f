export * from './log-tree.repository';
export * from './log-note-key';
export * from './witness-client';
export * from './log-integrator.service';
export * from './log-proofs.service';
export * from './log-history';
export * from './log-tree.module';
