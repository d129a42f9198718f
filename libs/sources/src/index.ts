export * from './person-source';
export * from './rnpp/rnpp-person';
export * from './rnpp/rnpp-http.source';
export * from './sources.module';
export * from './rnpp/rnpp-answer';
